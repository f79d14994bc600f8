package provision

import (
	"context"
	"fmt"
	"strconv"

	"staas"
)

// Terminating a service (the server module's TerminateAccount): its S3
// user, notes and mapping go; buckets left are refused or purged as the
// product says.

// TerminateService deletes the service's S3 user, its notes and its
// mapping. While the user owns buckets, the product decides: fail (the
// default) refuses, listing them; purge empties and deletes them first
// through the BucketPurger, as their owner (a suspended user is enabled
// for that, and disabled again if purging fails). A service without S3
// user is terminated already; an unlinked user with the service's address
// and no bucket is deleted too (an earlier creation whose answer was
// lost).
func (s *Lifecycle) TerminateService(ctx context.Context, ref ServiceRef, cfg ProductConfig) error {
	if err := ref.check(); err != nil {
		return err
	}
	p, err := cfg.parse()
	if err != nil {
		return err
	}
	a := ref.actor()
	params := ref.params()
	msg, err := s.terminate(ctx, a, ref, cfg, p, params)
	s.record(ctx, a, "service-terminate", params, err, msg)
	return err
}

func (s *core) terminate(ctx context.Context, a Actor, ref ServiceRef, cfg ProductConfig, p product, params map[string]string) (string, error) {
	m, err := s.serviceUser(ctx, ref)
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return s.terminateUnlinked(ctx, ref, cfg, params)
	}
	if err != nil {
		return "", err
	}
	params["user_id"] = m.UserID
	u, err := s.at(m.Cluster).User(ctx, staas.ByID(m.UserID))
	gone := staas.ErrorCode(err) == staas.ENOTFOUND
	if err != nil && !gone {
		return "", err
	}
	purged := ""
	if !gone {
		buckets, err := s.bucketsOf(ctx, m)
		if err != nil {
			return "", err
		}
		restore := func() {}
		if len(buckets) > 0 {
			if !p.purge {
				return "", staas.Errorf(staas.ECONFLICT, "The S3 user %s still owns %s: %s. Empty them, or set the product's %q to purge.",
					m.UserID, staas.Count(len(buckets), "bucket", "buckets"), bucketNames(buckets), "Buckets left at termination")
			}
			var objects int64
			restore, objects, err = s.purge(ctx, a, m, u, buckets, "service-purge-bucket")
			if err != nil {
				return "", err
			}
			params["buckets_purged"] = strconv.Itoa(len(buckets))
			purged = fmt.Sprintf(" Its %s emptied (%s) and deleted: %s.", staas.Count(len(buckets), "bucket was", "buckets were"), staas.Count(int(objects), "object", "objects"), bucketNames(buckets))
		}
		if err := s.at(m.Cluster).DeleteUser(ctx, staas.ByID(m.UserID)); err != nil && staas.ErrorCode(err) != staas.ENOTFOUND {
			restore()
			return "", err
		}
		s.forgetUsers()
	}
	// The mapping goes last: a retry after a failure here finds the user
	// gone and does the rest.
	if err := s.removeNotes(ctx, a, m.UserID, ""); err != nil {
		return "", partial(fmt.Sprintf("S3 user %s was deleted, but its WHMCS notes could not be removed (retry Terminate)", m.UserID), err)
	}
	if err := s.store.DeleteS3User(ctx, m.ClientID, m.ServiceID); err != nil {
		return "", partial(fmt.Sprintf("S3 user %s was deleted, but staas could not forget it (retry Terminate)", m.UserID), err)
	}
	if gone {
		return fmt.Sprintf("The S3 user %s (%s) of service %d was gone from the gateway already; its notes and mapping are removed.", m.UserID, m.Email, ref.ServiceID), nil
	}
	return fmt.Sprintf("S3 user %s (%s) of service %d deleted with its notes.%s", m.UserID, m.Email, ref.ServiceID, purged), nil
}

// terminateUnlinked terminates a service staas has no mapping for: done
// already, unless the gateway has a user with the service's address that
// nobody is mapped to (a creation whose answer was lost and was never
// retried). That one is deleted when it owns no bucket; with buckets it is
// left for an admin, and the log says so.
func (s *core) terminateUnlinked(ctx context.Context, ref ServiceRef, cfg ProductConfig, params map[string]string) (string, error) {
	nothing := fmt.Sprintf("Service %d has no S3 user: nothing to terminate.", ref.ServiceID)
	email, err := cfg.Email(ref.ClientEmail, ref.ServiceID, ref.ClientID)
	if err != nil {
		return nothing, nil // no address to look for
	}
	cluster, err := s.targetCluster(ctx, ref)
	if err != nil {
		return "", err
	}
	gw := s.at(cluster)
	u, err := gw.User(ctx, staas.ByEmail(email))
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return nothing, nil
	}
	if err != nil {
		return "", err
	}
	params["user_id"] = u.ID
	if other, err := s.store.S3UserByUserID(ctx, cluster, u.ID); err == nil {
		return fmt.Sprintf("Service %d has no S3 user. The S3 user %s with its address belongs to %s and is left alone.", ref.ServiceID, u.ID, owner(other)), nil
	} else if staas.ErrorCode(err) != staas.ENOTFOUND {
		return "", err
	}
	buckets, err := gw.BucketsOf(ctx, staas.ByID(u.ID))
	if err != nil && staas.ErrorCode(err) != staas.ENOTFOUND {
		return "", err
	}
	if len(buckets) > 0 {
		s.log.Warn("an unlinked S3 user with a terminated service's address owns buckets; left alone", "service", ref.ServiceID, "client", ref.ClientID, "user_id", u.ID, "email", email, "buckets", len(buckets))
		return fmt.Sprintf("Service %d has no S3 user. An S3 user %s (%s) with its address, linked to nothing, owns %s: %s; it is left for an admin to check.",
			ref.ServiceID, u.ID, email, staas.Count(len(buckets), "bucket", "buckets"), bucketNames(buckets)), nil
	}
	if err := gw.DeleteUser(ctx, staas.ByID(u.ID)); err != nil && staas.ErrorCode(err) != staas.ENOTFOUND {
		return "", err
	}
	s.forgetUsers()
	return fmt.Sprintf("Service %d had no S3 user mapped; the unlinked S3 user %s (%s) with its address and no bucket is deleted.", ref.ServiceID, u.ID, email), nil
}
