package views

import (
	"slices"
	"strconv"
)

// permissionTitle says why a change button is disabled. It names the
// permission as WHMCS's role editor does, so an admin can ask for it.
const permissionTitle = `Needs the WHMCS admin permission "Perform Server Operations"`

// reservedFields are the fields every form sets itself; a parameter with
// one of these names would smuggle a second value in (PHP keeps the last
// one), so params never use them.
var reservedFields = []string{"token", "userid", "action", "confirm"}

// param is one hidden field that goes with a button.
type param struct{ Name, Value string }

// button is one submit button: the action it posts and, for the
// one-button forms of the panels, the hidden parameters that go with it.
type button struct {
	Action string
	Label  string
	Class  string
	// Hint is the title of an enabled button; a disabled one says which
	// permission it needs instead.
	Hint string
	// Change marks an action that changes something on the cluster: it
	// needs "Perform Server Operations". Read-only actions (toggles, Get,
	// paging, hiding a panel) stay enabled.
	Change bool
	// AriaLabel names a button whose label is a symbol (the panels' ×).
	AriaLabel string
	// Toggle is "on" or "off" for a panel toggle ("" for anything else).
	Toggle string
	Params []param
	// Blocked, when set, disables the button whatever the admin's role
	// and says why (Generate Access Key at the most key pairs).
	Blocked string
}

func (b button) disabled(canChange bool) bool { return b.Blocked != "" || (b.Change && !canChange) }

func (b button) title(canChange bool) string {
	switch {
	case b.Change && !canChange:
		return permissionTitle
	case b.Blocked != "":
		return b.Blocked
	}
	return b.Hint
}

// pressed is the aria-pressed value of a toggle.
func (b button) pressed() string {
	if b.Toggle == "on" {
		return "true"
	}
	return "false"
}

// params returns the non-reserved parameters in order.
func (b button) params() []param {
	out := make([]param, 0, len(b.Params))
	for _, p := range b.Params {
		if p.Name == "" || slices.Contains(reservedFields, p.Name) {
			continue
		}
		out = append(out, p)
	}
	return out
}

func clientID(f Form) string { return strconv.FormatInt(f.ClientID, 10) }

// onOff is a toggle's state for aria-pressed: "on" or "off".
func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// toggle is the button of a panel toggle. It reads as the panel's state,
// "Query User: shown" or "Query User: hidden", and its title says what a
// click does; aria-pressed carries the state for screen readers. (The
// guide's "(on)"/"(off)" read as either the state or the action.)
func toggle(action, label string, on bool) button {
	state, hint := "hidden", "Show the panel"
	if on {
		state, hint = "shown", "Hide the panel"
	}
	return button{
		Action: action,
		Label:  label + ": " + state,
		Class:  "btn btn-link btn-sm",
		Hint:   hint,
		Toggle: onOff(on),
	}
}

// unknownErrors returns, sorted by field name, the messages of errs whose
// field is not in known.
func unknownErrors(errs FieldErrors, known []string) []string {
	var keys []string
	for k, msg := range errs {
		if msg != "" && !slices.Contains(known, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = errs[k]
	}
	return out
}
