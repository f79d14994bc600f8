package ostor

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Settings are the cluster-wide S3 settings of GET ?ostor-settings
// (Virtuozzo Infrastructure 7.0+ API reference, get-service-ostor-settings).
type Settings struct {
	OSMaxCount         uint64 // OS.max_count: object servers at which automatic splitting stops
	OSMaxSizeGB        uint64 // OS.max_size: GB at which an object server is split
	AutosplitEnabled   bool   // cfg.autosplit.enabled
	AutosplitMaxActive uint64 // cfg.autosplit.max_active
	DefaultCORSEnabled bool   // ostor.default_cors.enabled: allow all CORS
}

// SettingRange is the documented range of one setting, bounds included.
type SettingRange struct{ Min, Max uint64 }

// SettingRanges are the names PUT ?ostor-settings takes and their
// documented ranges (Virtuozzo Infrastructure 7.1 API reference,
// put-service-ostor-settings).
var SettingRanges = map[string]SettingRange{
	"OS.max_count":               {1, 65536},
	"OS.max_size":                {1, 16000},
	"cfg.autosplit.enabled":      {0, 1},
	"cfg.autosplit.max_active":   {0, 1 << 31},
	"ostor.default_cors.enabled": {0, 1},
}

// Settings reads the cluster's S3 settings.
func (c *Client) Settings(ctx context.Context) (*Settings, error) {
	return getJSON(ctx, c, request{op: "get settings", method: http.MethodGet, query: newQuery("settings").String(), idempotent: true}, DecodeSettings)
}

// SetSetting sets one setting: PUT ?ostor-settings&name=N&value=V. A name
// not in SettingRanges or a value outside its range is EINVALID and
// nothing is sent. Setting a value twice is harmless, so it is retried.
func (c *Client) SetSetting(ctx context.Context, name string, value uint64) error {
	const op = "set setting"
	r, known := SettingRanges[name]
	if !known {
		return invalid(op, "%q is not a documented setting", truncate(name))
	}
	if value < r.Min || value > r.Max {
		return invalid(op, "%s must be from %d to %d, not %d", name, r.Min, r.Max, value)
	}
	q := newQuery("settings").set("name", name).set("value", strconv.FormatUint(value, 10))
	_, err := c.do(ctx, request{op: op, method: http.MethodPut, query: q.String(), idempotent: true})
	return err
}

type wireSettings struct {
	OSMaxCount         *flexUint `json:"OS.max_count"`
	OSMaxSize          *flexUint `json:"OS.max_size"`
	AutosplitEnabled   *flexUint `json:"cfg.autosplit.enabled"`
	AutosplitMaxActive *flexUint `json:"cfg.autosplit.max_active"`
	DefaultCORSEnabled *flexUint `json:"ostor.default_cors.enabled"`
}

// DecodeSettings decodes the settings object. The reference prints the
// values as numbers; strings of digits are accepted too. A missing name or
// a flag other than 0 or 1 is an error: a guess would misreport the
// cluster.
func DecodeSettings(r io.Reader) (*Settings, error) {
	var w wireSettings
	if err := decodeWhole("settings", r, '{', &w); err != nil {
		return nil, err
	}
	fail := func(format string, args ...any) (*Settings, error) {
		return nil, &DecodeError{What: "settings", Err: fmt.Errorf(format, args...)}
	}
	for name, v := range map[string]*flexUint{
		"OS.max_count": w.OSMaxCount, "OS.max_size": w.OSMaxSize, "cfg.autosplit.enabled": w.AutosplitEnabled,
		"cfg.autosplit.max_active": w.AutosplitMaxActive, "ostor.default_cors.enabled": w.DefaultCORSEnabled,
	} {
		if v == nil {
			return fail("%s is missing", name)
		}
	}
	flag := func(name string, v flexUint) (bool, error) {
		if v > 1 {
			return false, &DecodeError{What: "settings", Err: fmt.Errorf("%s is %d, not 0 or 1", name, v)}
		}
		return v == 1, nil
	}
	autosplit, err := flag("cfg.autosplit.enabled", *w.AutosplitEnabled)
	if err != nil {
		return nil, err
	}
	cors, err := flag("ostor.default_cors.enabled", *w.DefaultCORSEnabled)
	if err != nil {
		return nil, err
	}
	return &Settings{
		OSMaxCount:         uint64(*w.OSMaxCount),
		OSMaxSizeGB:        uint64(*w.OSMaxSize),
		AutosplitEnabled:   autosplit,
		AutosplitMaxActive: uint64(*w.AutosplitMaxActive),
		DefaultCORSEnabled: cors,
	}, nil
}
