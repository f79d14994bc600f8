package provision

import (
	"context"
	"strings"

	"staas"
)

// Statistics objects belong to the cluster, not to a client: the guide
// shows them on every client page, and so does staas. They are those of
// the cluster the client's S3 user is on (the default cluster before it
// has one); a cluster whose storage keeps none refuses them by name.

// statsAt is the backend whose statistics objects the client's page
// shows: its S3 user's cluster's, or the default cluster's.
func (s *core) statsAt(ctx context.Context, a Actor) (Backend, error) {
	cluster, err := s.clientCluster(ctx, a)
	if err != nil {
		return nil, err
	}
	gw := s.at(cluster)
	if !gw.Capabilities().Statistics {
		return nil, staas.Errorf(staas.EINVALID, "The storage of cluster %q keeps no statistics objects.", cluster)
	}
	return gw, nil
}

// clientCluster is the cluster a client's page shows the cluster-wide
// panels of (the users list, statistics objects): its S3 user's, or the
// default cluster before it has one.
func (s *core) clientCluster(ctx context.Context, a Actor) (string, error) {
	m, err := s.store.S3User(ctx, a.ClientID, 0)
	switch {
	case err == nil:
		return m.Cluster, nil
	case staas.ErrorCode(err) == staas.ENOTFOUND:
		return s.cluster, nil
	}
	return "", err
}

// objectAt checks that a may act on a statistics object with permission
// and that name can be one, and returns the backend that has it.
func (s *core) objectAt(ctx context.Context, a Actor, permission, name string) (Backend, error) {
	if err := allow(a, permission); err != nil {
		return nil, err
	}
	if err := objectName(name); err != nil {
		return nil, err
	}
	return s.statsAt(ctx, a)
}

// StatsPageSize is how many object names one page of the list shows.
const StatsPageSize = 50

// StatsPage lists statistics object names after the given one.
func (s *AdminPanel) StatsPage(ctx context.Context, a Actor, after string) (*staas.UsageList, error) {
	if err := allow(a, view); err != nil {
		return nil, err
	}
	gw, err := s.statsAt(ctx, a)
	if err != nil {
		return nil, err
	}
	l, err := gw.UsagePage(ctx, after, StatsPageSize)
	if staas.ErrorCode(err) == staas.EINVALID {
		return nil, fieldsError(FieldErrors{"after": staas.ErrorMessage(err)})
	}
	return l, err
}

// StatsObject returns one statistics object, as the guide's table shows it.
func (s *AdminPanel) StatsObject(ctx context.Context, a Actor, name string) (*staas.UsageObject, error) {
	gw, err := s.objectAt(ctx, a, view, name)
	if err != nil {
		return nil, err
	}
	o, err := gw.UsageObject(ctx, name)
	return o, objectError(err)
}

// DeleteStatsObject deletes one statistics object from the gateway.
func (s *AdminPanel) DeleteStatsObject(ctx context.Context, a Actor, name string) error {
	gw, err := s.objectAt(ctx, a, change, name)
	if err != nil {
		return err
	}
	return objectError(gw.DeleteUsageObject(ctx, name))
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
	gw, err := s.objectAt(ctx, a, view, name)
	if err != nil {
		return err
	}
	return objectError(gw.CheckUsageObjectName(name))
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
