package store

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"staas"
)

func testS3Users(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)

	_, err := s.S3User(ctx, 1, 0)
	wantCode(t, err, staas.ENOTFOUND)
	_, err = s.S3UserByUserID(ctx, "default", "0123456789abcdef")
	wantCode(t, err, staas.ENOTFOUND)

	before := storedTime(time.Now())
	users := []staas.S3User{
		{ClientID: 1, ServiceID: 0, Cluster: "default", UserID: "0123456789abcdef", Email: "one@example.com"},
		{ClientID: 1, ServiceID: 42, Cluster: "default", UserID: "1111111111111111", Email: "one+42@example.com"},
		{ClientID: 1, ServiceID: 7, Cluster: "eu", UserID: "2222222222222222", Email: "one+7@example.com"},
		{ClientID: 2, ServiceID: 0, Cluster: "default", UserID: "3333333333333333", Email: "two@example.com"},
		// Same id on another cluster: a different user.
		{ClientID: 3, ServiceID: 0, Cluster: "eu", UserID: "0123456789abcdef", Email: "three@example.com"},
		// Ids differing only in case are different users.
		{ClientID: 4, ServiceID: 0, Cluster: "default", UserID: "0123456789ABCDEF", Email: "four@example.com"},
	}
	for _, u := range users {
		mustNil(t, s.SaveS3User(ctx, u))
	}
	after := storedTime(time.Now())

	got, err := s.S3User(ctx, 1, 42)
	mustNil(t, err)
	if got.Email != "one+42@example.com" || got.UserID != "1111111111111111" || got.Cluster != "default" || got.ClientID != 1 || got.ServiceID != 42 {
		t.Errorf("S3User(1, 42) = %+v", got)
	}
	if got.CreatedAt.Before(before) || got.CreatedAt.After(after) || !got.UpdatedAt.Equal(got.CreatedAt) {
		t.Errorf("CreatedAt %v, UpdatedAt %v: want both the time of saving, in [%v, %v]", got.CreatedAt, got.UpdatedAt, before, after)
	}

	for _, c := range []struct {
		cluster, userID string
		wantClient      int64
	}{
		{"default", "0123456789abcdef", 1},
		{"eu", "0123456789abcdef", 3},
		{"default", "0123456789ABCDEF", 4},
		{"eu", "2222222222222222", 1},
	} {
		u, err := s.S3UserByUserID(ctx, c.cluster, c.userID)
		if err != nil || u.ClientID != c.wantClient || u.UserID != c.userID {
			t.Errorf("S3UserByUserID(%q, %q) = %+v, %v; want client %d", c.cluster, c.userID, u, err, c.wantClient)
		}
	}
	_, err = s.S3UserByUserID(ctx, "us", "0123456789abcdef")
	wantCode(t, err, staas.ENOTFOUND)
	_, err = s.S3UserByUserID(ctx, "default", "0123456789abcde")
	wantCode(t, err, staas.ENOTFOUND)

	list, err := s.S3UsersOfClient(ctx, 1)
	mustNil(t, err)
	var services []int64
	for _, u := range list {
		services = append(services, u.ServiceID)
		if u.ClientID != 1 {
			t.Errorf("S3UsersOfClient(1) returned a user of client %d", u.ClientID)
		}
	}
	if !reflect.DeepEqual(services, []int64{0, 7, 42}) {
		t.Errorf("S3UsersOfClient(1) services %v, want [0 7 42] (client-level first)", services)
	}
	none, err := s.S3UsersOfClient(ctx, 99)
	mustNil(t, err)
	if none == nil || len(none) != 0 {
		t.Errorf("S3UsersOfClient of a client without users = %#v, want an empty slice", none)
	}

	// Delete one service's user: the others stay; deleting again is fine.
	mustNil(t, s.DeleteS3User(ctx, 1, 42))
	mustNil(t, s.DeleteS3User(ctx, 1, 42))
	mustNil(t, s.DeleteS3User(ctx, 50, 0))
	_, err = s.S3User(ctx, 1, 42)
	wantCode(t, err, staas.ENOTFOUND)
	_, err = s.S3UserByUserID(ctx, "default", "1111111111111111")
	wantCode(t, err, staas.ENOTFOUND)
	if list, _ := s.S3UsersOfClient(ctx, 1); len(list) != 2 {
		t.Errorf("after deleting one of 3, client 1 has %d users", len(list))
	}
	if _, err := s.S3User(ctx, 1, 0); err != nil {
		t.Errorf("the client-level user went with the service's: %v", err)
	}
}

func testS3UserKeepsCreatedAt(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	created := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	mustNil(t, s.SaveS3User(ctx, staas.S3User{ClientID: 5, Cluster: "default", UserID: "aaaaaaaaaaaaaaaa", Email: "old@example.com", CreatedAt: created, UpdatedAt: created}))

	// The client's S3 user is re-created with a new id and email; the
	// caller does not know (or passes another) CreatedAt.
	for _, c := range []time.Time{{}, created.Add(48 * time.Hour)} {
		before := storedTime(time.Now())
		mustNil(t, s.SaveS3User(ctx, staas.S3User{ClientID: 5, Cluster: "eu", UserID: "bbbbbbbbbbbbbbbb", Email: "new@example.com", CreatedAt: c}))
		got, err := s.S3User(ctx, 5, 0)
		mustNil(t, err)
		if !got.CreatedAt.Equal(created) {
			t.Errorf("CreatedAt %v after an update, want the first save's %v", got.CreatedAt, created)
		}
		if got.UpdatedAt.Before(before) {
			t.Errorf("UpdatedAt %v not moved on by the update at %v", got.UpdatedAt, before)
		}
		if got.Email != "new@example.com" || got.UserID != "bbbbbbbbbbbbbbbb" || got.Cluster != "eu" {
			t.Errorf("update not applied: %+v", got)
		}
	}
	if _, err := s.S3UserByUserID(ctx, "default", "aaaaaaaaaaaaaaaa"); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Errorf("the old user id still finds the client: %v", err)
	}
	if n := rowCounts(t, s)["staas_s3_users"]; n != 1 {
		t.Errorf("%d rows after saving one client's user three times, want 1", n)
	}
}

func testS3UserInvalid(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	ok := staas.S3User{ClientID: 1, Cluster: "default", UserID: "0123456789abcdef", Email: "a@example.com"}
	with := func(f func(*staas.S3User)) staas.S3User { u := ok; f(&u); return u }
	cases := map[string]staas.S3User{
		"client id 0":            with(func(u *staas.S3User) { u.ClientID = 0 }),
		"negative client id":     with(func(u *staas.S3User) { u.ClientID = -1 }),
		"negative service id":    with(func(u *staas.S3User) { u.ServiceID = -3 }),
		"no email":               with(func(u *staas.S3User) { u.Email = "" }),
		"email too long":         with(func(u *staas.S3User) { u.Email = strings.Repeat("a", 250) + "@x.com" }),
		"email not UTF-8":        with(func(u *staas.S3User) { u.Email = "a\xff@example.com" }),
		"no user id":             with(func(u *staas.S3User) { u.UserID = "" }),
		"user id with a space":   with(func(u *staas.S3User) { u.UserID = "0123456789abcdef " }),
		"user id with a newline": with(func(u *staas.S3User) { u.UserID = "0123\n456789abcdef" }),
		"user id too long":       with(func(u *staas.S3User) { u.UserID = strings.Repeat("f", 129) }),
		"no cluster":             with(func(u *staas.S3User) { u.Cluster = "" }),
		"created before 1970":    with(func(u *staas.S3User) { u.CreatedAt = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC) }),
		"updated after 2199":     with(func(u *staas.S3User) { u.UpdatedAt = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC) }),
		"cluster not UTF-8":      with(func(u *staas.S3User) { u.Cluster = "\xc3" }),
		"cluster with a tab":     with(func(u *staas.S3User) { u.Cluster = "eu\t1" }),
		"cluster too long":       with(func(u *staas.S3User) { u.Cluster = strings.Repeat("é", 129) }),
	}
	for name, u := range cases {
		t.Run(name, func(t *testing.T) {
			wantCode(t, s.SaveS3User(ctx, u), staas.EINVALID)
		})
	}
	for name, call := range map[string]func() error{
		"read client 0":          func() error { _, err := s.S3User(ctx, 0, 0); return err },
		"read service -1":        func() error { _, err := s.S3User(ctx, 1, -1); return err },
		"by user id, no cluster": func() error { _, err := s.S3UserByUserID(ctx, "", "0123456789abcdef"); return err },
		"by user id, no id":      func() error { _, err := s.S3UserByUserID(ctx, "default", ""); return err },
		"list client -2":         func() error { _, err := s.S3UsersOfClient(ctx, -2); return err },
		"delete client 0":        func() error { return s.DeleteS3User(ctx, 0, 0) },
		"delete service -1":      func() error { return s.DeleteS3User(ctx, 1, -1) },
	} {
		t.Run(name, func(t *testing.T) { wantCode(t, call(), staas.EINVALID) })
	}
	wantNothingWritten(t, s)

	// The limits are in characters, as the columns count them: the longest
	// values pass on both backends.
	long := staas.S3User{ClientID: 1, Cluster: strings.Repeat("é", 128), UserID: strings.Repeat("ü", 128), Email: strings.Repeat("ö", 255)}
	mustNil(t, s.SaveS3User(ctx, long))
	got, err := s.S3User(ctx, 1, 0)
	mustNil(t, err)
	if got.Cluster != long.Cluster || got.UserID != long.UserID || got.Email != long.Email {
		t.Errorf("the longest values did not read back verbatim")
	}
}

func testS3UsersOfCluster(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	for _, u := range []staas.S3User{
		{ClientID: 2, ServiceID: 5, Cluster: "default", UserID: "1111111111111111", Email: "a@example.com"},
		{ClientID: 1, ServiceID: 0, Cluster: "default", UserID: "2222222222222222", Email: "b@example.com"},
		{ClientID: 1, ServiceID: 9, Cluster: "eu", UserID: "3333333333333333", Email: "c@example.com"},
	} {
		if err := s.SaveS3User(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.S3UsersOfCluster(ctx, "default", true)
	if err != nil || len(got) != 2 || got[0].ClientID != 1 || got[1].ServiceID != 5 {
		t.Fatalf("default: %+v %v", got, err)
	}
	got, err = s.S3UsersOfCluster(ctx, "eu", false)
	if err != nil || len(got) != 1 || got[0].UserID != "3333333333333333" {
		t.Fatalf("eu: %+v %v", got, err)
	}
	if got, err = s.S3UsersOfCluster(ctx, "nowhere", false); err != nil || len(got) != 0 {
		t.Fatalf("nowhere: %+v %v", got, err)
	}
}
