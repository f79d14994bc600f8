package provision

import "context"

// Record writes an audit row as any action of any actor does (tests of
// what a row and a flash say for each kind of actor).
func (s *Services) Record(ctx context.Context, a Actor, action string, params map[string]string, err error, okMessage string) {
	s.Admin.record(ctx, a, action, params, err, okMessage)
}
