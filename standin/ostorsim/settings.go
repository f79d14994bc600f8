package ostorsim

import (
	"fmt"
	"net/http"
	"strconv"
)

// settingSpec is one documented cluster setting: its default and range
// (Virtuozzo Infrastructure 7.1 API reference, put-service-ostor-settings;
// defaults from 7.0 get-service-ostor-settings).
type settingSpec struct {
	name          string
	def, min, max uint64
}

// settingSpecs are in the order GET answers them.
var settingSpecs = []settingSpec{
	{"OS.max_count", 100, 1, 65536},
	{"OS.max_size", 1000, 1, 16000},
	{"cfg.autosplit.enabled", 1, 0, 1},
	{"cfg.autosplit.max_active", 1, 0, 1 << 31},
	{"ostor.default_cors.enabled", 1, 0, 1},
}

func defaultSettings() map[string]uint64 {
	m := make(map[string]uint64, len(settingSpecs))
	for _, s := range settingSpecs {
		m[s.name] = s.def
	}
	return m
}

// orderedSettings writes the settings as a JSON object of numbers in the
// documented order (a map would be sorted by encoding/json).
type orderedSettings map[string]uint64

func (o orderedSettings) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, s := range settingSpecs {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, s.name)
		b = append(b, ':')
		b = strconv.AppendUint(b, o[s.name], 10)
	}
	return append(b, '}'), nil
}

// ostor-settings: GET all, PUT one (name=N&value=V). The settings change
// nothing else in the simulator.
func (s *Sim) handleSettings(c *call) (reply, error) {
	st := &s.st
	switch c.method {
	case http.MethodGet:
		if err := c.only(nil, nil); err != nil {
			return reply{}, err
		}
		return ok(orderedSettings(st.settings)), nil
	case http.MethodPut:
		if err := c.only([]string{"name", "value"}, nil); err != nil {
			return reply{}, err
		}
		name, hasName := c.value("name")
		raw, hasValue := c.value("value")
		if !hasName || !hasValue {
			return reply{}, badRequest("name and value are required")
		}
		var spec *settingSpec
		for i := range settingSpecs {
			if settingSpecs[i].name == name {
				spec = &settingSpecs[i]
			}
		}
		if spec == nil {
			return reply{}, badRequest(fmt.Sprintf("unknown setting %q", name))
		}
		v, err := strconv.ParseUint(raw, 10, 64)
		if err != nil || v < spec.min || v > spec.max {
			return reply{}, badRequest(fmt.Sprintf("%s must be an integer from %d to %d", name, spec.min, spec.max))
		}
		st.settings[name] = v
		return emptyOK(), nil
	}
	return reply{}, methodNotAllowed(c)
}

// Settings returns the cluster settings as ?ostor-settings holds them.
func (s *Sim) Settings() map[string]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]uint64, len(s.st.settings))
	for k, v := range s.st.settings {
		out[k] = v
	}
	return out
}
