{* staas S3 Storage: the service page's S3 section. staasHtml is HTML that staas escaped; staasError is text. *}
<div class="staas-clientarea">
{if $staasError}
    <div class="alert alert-warning">{$staasError|escape:'html'}</div>
{else}
    {$staasHtml}
{/if}
</div>
