package provision

import (
	"context"
	"strings"

	"staas"
)

// Statistics objects belong to the cluster, not to a client: the guide
// shows them on every client page, and so does staas.

// StatsPageSize is how many object names one page of the list shows.
const StatsPageSize = 50

// StatsPage lists statistics object names after the given one.
func (s *AdminPanel) StatsPage(ctx context.Context, a Actor, after string) (*staas.UsageList, error) {
	if err := allow(a, view); err != nil {
		return nil, err
	}
	l, err := s.gw.UsagePage(ctx, after, StatsPageSize)
	if staas.ErrorCode(err) == staas.EINVALID {
		return nil, fieldsError(FieldErrors{"after": staas.ErrorMessage(err)})
	}
	return l, err
}

// StatsObject returns one statistics object, as the guide's table shows it.
func (s *AdminPanel) StatsObject(ctx context.Context, a Actor, name string) (*staas.UsageObject, error) {
	if err := allow(a, view); err != nil {
		return nil, err
	}
	if err := objectName(name); err != nil {
		return nil, err
	}
	o, err := s.gw.UsageObject(ctx, name)
	return o, objectError(err)
}

// DeleteStatsObject deletes one statistics object from the gateway.
func (s *AdminPanel) DeleteStatsObject(ctx context.Context, a Actor, name string) error {
	if err := allow(a, change); err != nil {
		return err
	}
	if err := objectName(name); err != nil {
		return err
	}
	return objectError(s.gw.DeleteUsageObject(ctx, name))
}

// ClientUserIDs returns the ids of the client's S3 users (the client's
// own and its services'), so a statistics object's items can be narrowed
// to them: the object itself is the whole cluster's.
func (s *AdminPanel) ClientUserIDs(ctx context.Context, a Actor) ([]string, error) {
	if err := allow(a, view); err != nil {
		return nil, err
	}
	users, err := s.store.S3UsersOfClient(ctx, a.ClientID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(users))
	for _, u := range users {
		ids = append(ids, u.UserID)
	}
	return ids, nil
}

// CheckStatsObject says whether name names a statistics object at all, so
// Delete can refuse before it asks for a confirmation.
func (s *AdminPanel) CheckStatsObject(ctx context.Context, a Actor, name string) error {
	if err := allow(a, view); err != nil {
		return err
	}
	if err := objectName(name); err != nil {
		return err
	}
	return objectError(s.gw.CheckUsageObjectName(name))
}

func objectName(name string) error {
	if strings.TrimSpace(name) == "" {
		return fieldsError(FieldErrors{"object": "Enter a statistics object name, e.g. s3-usage-…"})
	}
	return nil
}

// objectError puts the client's validation message (the name's format) by
// the form's object field.
func objectError(err error) error {
	if staas.ErrorCode(err) == staas.EINVALID {
		return fieldsError(FieldErrors{"object": staas.ErrorMessage(err)})
	}
	return err
}
