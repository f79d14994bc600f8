package whmcs

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"

	"staas"
	"staas/whmcsbridge"
)

// WHMCS's Module Queue: module calls on a service that failed, kept by
// WHMCS until an admin retries them (Utilities > Module Queue). staas
// shows a client's open entries for its own services on the client's
// page, through the API's GetModuleQueue or, in database mode, from
// tblmodulequeue. Its column names are assumed from GetModuleQueue's
// documented fields (snake_case, as WHMCS's other 8.x tables).

// ModuleName is the server module's name in WHMCS (modules/servers/staas).
const ModuleName = "staas"

// ModuleQueue reads the open (not completed) Module Queue entries of
// staas's module on the client's services, oldest first.
func (d *DB) ModuleQueue(ctx context.Context, clientID int64) ([]staas.ModuleQueueItem, error) {
	if err := checkID("client", clientID); err != nil {
		return nil, err
	}
	ctx, cancel := d.ctx(ctx)
	defer cancel()
	rows, err := d.db.QueryContext(ctx, `SELECT q.id, q.service_id, q.module_action, q.last_attempt, q.last_attempt_error, q.num_retries, q.created_at
		FROM tblmodulequeue q JOIN tblhosting h ON h.id = q.service_id
		WHERE q.service_type = 'service' AND q.module_name = ? AND q.completed = 0 AND h.userid = ?
		ORDER BY q.id LIMIT 100`, ModuleName, clientID)
	if err != nil {
		return nil, dbError("module queue", err)
	}
	defer rows.Close()
	out := []staas.ModuleQueueItem{}
	for rows.Next() {
		var it staas.ModuleQueueItem
		var last, created any
		if err := rows.Scan(&it.ID, &it.ServiceID, &it.Action, &last, &it.LastError, &it.Attempts, &created); err != nil {
			return nil, dbError("module queue", err)
		}
		it.LastAttempt, it.CreatedAt = toTime(last), toTime(created)
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("module queue", err)
	}
	return out, nil
}

type wireQueueItem struct {
	ID          flexInt                `json:"id"`
	ServiceType whmcsbridge.FlexString `json:"serviceType"`
	ServiceID   flexInt                `json:"serviceId"`
	Module      whmcsbridge.FlexString `json:"moduleName"`
	Action      whmcsbridge.FlexString `json:"moduleAction"`
	LastAttempt whmcsbridge.FlexString `json:"lastAttempt"`
	LastError   whmcsbridge.FlexString `json:"lastAttemptError"`
	Retries     flexInt                `json:"numRetries"`
	Completed   json.RawMessage        `json:"completed"`
	CreatedAt   whmcsbridge.FlexString `json:"createdAt"`
}

// ModuleQueue reads the open Module Queue entries of staas's module
// (GetModuleQueue, moduleName staas, serviceType service), oldest first.
func (c *APIClient) ModuleQueue(ctx context.Context) ([]staas.ModuleQueueItem, error) {
	var resp struct {
		Queue json.RawMessage `json:"queue"`
	}
	fields := url.Values{"moduleName": {ModuleName}, "serviceType": {"service"}}
	if err := c.call(ctx, "GetModuleQueue", fields, true, &resp); err != nil {
		return nil, err
	}
	var list []wireQueueItem
	if !whmcsbridge.IsEmptyPHPArray(resp.Queue) && len(resp.Queue) > 0 {
		if err := json.Unmarshal(resp.Queue, &list); err != nil {
			return nil, c.unexpectedAnswer("GetModuleQueue", "unexpected queue", err)
		}
	}
	out := []staas.ModuleQueueItem{}
	for _, w := range list {
		if done, _ := strconv.ParseBool(string(trimQuotes(w.Completed))); done || (w.ServiceType != "" && w.ServiceType != "service") {
			continue
		}
		out = append(out, staas.ModuleQueueItem{ID: int64(w.ID), ServiceID: int64(w.ServiceID), Action: string(w.Action),
			LastAttempt: parseDatetime(string(w.LastAttempt)), LastError: string(w.LastError), Attempts: int(w.Retries),
			CreatedAt: parseDatetime(string(w.CreatedAt))})
	}
	return out, nil
}

// trimQuotes is a JSON scalar's text: "1", 1, true.
func trimQuotes(raw json.RawMessage) []byte {
	if len(raw) >= 2 && raw[0] == '"' {
		return raw[1 : len(raw)-1]
	}
	return raw
}

// ModuleQueue reads the client's open Module Queue entries from WHMCS's
// database.
func (b *DBBridge) ModuleQueue(ctx context.Context, clientID int64) ([]staas.ModuleQueueItem, error) {
	return b.db.ModuleQueue(ctx, clientID)
}

// ModuleQueue reads staas's open Module Queue entries through the API and
// keeps those on the client's services (GetClientsProducts).
func (b *APIBridge) ModuleQueue(ctx context.Context, clientID int64) ([]staas.ModuleQueueItem, error) {
	all, err := b.api.ModuleQueue(ctx)
	if err != nil || len(all) == 0 {
		return all, err
	}
	products, err := b.api.ClientsProducts(ctx, clientID)
	if err != nil {
		return nil, err
	}
	mine := map[int64]bool{}
	for _, p := range products {
		mine[p.ID] = true
	}
	out := []staas.ModuleQueueItem{}
	for _, it := range all {
		if mine[it.ServiceID] {
			out = append(out, it)
		}
	}
	return out, nil
}
