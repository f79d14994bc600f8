package ecs_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"staas"
	"staas/internal/ecs"
)

// userWorld is a fake with one object user and its key slots.
type userWorld struct {
	mu     sync.Mutex
	keys   []string
	locked bool
	users  map[string]string // uid → namespace
	nss    map[string]bool
}

func newUserWorld(t *testing.T) (*fakeECS, *userWorld) {
	f := newFake(t)
	u := &userWorld{users: map[string]string{}, nss: map[string]bool{}}
	f.route("GET /vdc/data-service/vpools", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"data_service_vpool": []map[string]any{{"name": "rg1", "id": "urn:storageos:ReplicationGroupInfo:rg1:global"}}})
	})
	f.route("POST /object/namespaces/namespace", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]string
		_ = json.NewDecoder(r.Body).Decode(&in)
		u.mu.Lock()
		u.nss[in["namespace"]] = true
		u.mu.Unlock()
		writeJSON(w, 200, map[string]any{"name": in["namespace"], "id": in["namespace"]})
	})
	f.route("POST /object/users", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		_ = json.NewDecoder(r.Body).Decode(&in)
		u.mu.Lock()
		defer u.mu.Unlock()
		uid := in["user"].(string)
		if _, ok := u.users[uid]; ok {
			writeJSON(w, 400, map[string]any{"code": 1015, "description": "Resource already exists", "retryable": false})
			return
		}
		u.users[uid] = in["namespace"].(string)
		writeJSON(w, 200, map[string]any{"link": map[string]string{"href": "/object/user-secret-keys/" + uid}})
	})
	return f, u
}

func (u *userWorld) routeUser(f *fakeECS, uid string) {
	f.route("POST /object/user-secret-keys/"+uid, func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		defer u.mu.Unlock()
		if len(u.keys) >= 2 {
			writeJSON(w, 400, map[string]any{"code": 1008, "description": "too many keys", "retryable": false})
			return
		}
		k := "SECRET-" + string(rune('A'+len(u.keys)))
		u.keys = append(u.keys, k)
		writeJSON(w, 200, map[string]any{"secret_key": k, "key_timestamp": "2026-12-06 01:00:00.000"})
	})
	f.route("GET /object/user-secret-keys/"+uid, func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		defer u.mu.Unlock()
		out := map[string]any{"secret_key_1_exist": false, "secret_key_2_exist": false, "secret_key_1": "", "secret_key_2": ""}
		for i, k := range u.keys {
			n := string(rune('1' + i))
			out["secret_key_"+n] = k
			out["secret_key_"+n+"_exist"] = true
		}
		writeJSON(w, 200, out)
	})
	f.route("POST /object/user-secret-keys/"+uid+"/deactivate", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]string
		_ = json.NewDecoder(r.Body).Decode(&in)
		u.mu.Lock()
		defer u.mu.Unlock()
		for i, k := range u.keys {
			if k == in["secret_key"] {
				u.keys = append(u.keys[:i], u.keys[i+1:]...)
				break
			}
		}
		writeRaw(w, 200, "application/json", "null")
	})
	f.route("GET /object/users/"+uid+"/info", func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		defer u.mu.Unlock()
		writeJSON(w, 200, map[string]any{"name": uid, "namespace": u.users[uid], "locked": u.locked, "tag": []any{}})
	})
	f.route("GET /object/users/lock/"+uid, func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		defer u.mu.Unlock()
		writeJSON(w, 200, map[string]any{"user_name": uid, "isLocked": u.locked})
	})
	f.route("PUT /object/users/lock", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		_ = json.NewDecoder(r.Body).Decode(&in)
		u.mu.Lock()
		u.locked = in["isLocked"].(bool)
		u.mu.Unlock()
		w.WriteHeader(200)
	})
}

const email = "Alice.Smith@example.com"

func TestCreateUserPerUserNamespace(t *testing.T) {
	f, u := newUserWorld(t)
	u.routeUser(f, email)
	ns := ecs.NamespaceFor(email)
	c := f.client(t)
	ctx := context.Background()
	got, err := c.CreateUser(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != email || len(got.Keys) != 1 || got.Keys[0].AccessKeyID != email || got.Keys[0].SecretAccessKey != "SECRET-A" {
		t.Fatalf("%+v", got)
	}
	if !u.nss[ns] || u.users[email] != ns {
		t.Fatalf("namespace %s not made: %v %v", ns, u.nss, u.users)
	}
	log := strings.Join(f.calls(), "\n")
	for _, want := range []string{
		`POST /object/namespaces/namespace {"default_data_services_vpool":"urn:storageos:ReplicationGroupInfo:rg1:global","namespace":"` + ns + `"}`,
		`"tags":[{"name":"staas-email","value":"` + email + `"}]`,
	} {
		if !strings.Contains(log, want) {
			t.Fatalf("%q not in\n%s", want, log)
		}
	}
	if _, err := c.CreateUser(ctx, email); staas.ErrorCode(err) != staas.ECONFLICT {
		t.Fatal(err)
	}
	if _, err := c.CreateUser(ctx, "not an email"); staas.ErrorCode(err) != staas.EINVALID {
		t.Fatal(err)
	}
}

func TestKeySlots(t *testing.T) {
	f, u := newUserWorld(t)
	u.routeUser(f, email)
	u.keys = []string{"SECRET-0"}
	c := f.client(t)
	ctx := context.Background()
	k, err := c.GenerateKey(ctx, email)
	if err != nil || k.AccessKeyID != email || k.SecretAccessKey == "" {
		t.Fatalf("%v %v", k, err)
	}
	if log := strings.Join(f.calls(), "\n"); !strings.Contains(log, `"existing_key_expiry_time_mins":"60"`) {
		t.Fatalf("no grace period sent:\n%s", log)
	}
	// Both slots used: refused, nothing posted.
	before := len(f.calls())
	_, err = c.GenerateKey(ctx, email)
	if staas.ErrorCode(err) != staas.EINVALID || !strings.Contains(err.Error(), "two secret key slots") {
		t.Fatal(err)
	}
	for _, call := range f.calls()[before:] {
		if strings.HasPrefix(call, "POST") {
			t.Fatalf("sent %s", call)
		}
	}
	if strings.Contains(err.Error(), "SECRET-") {
		t.Fatal("secret in error")
	}
	// The uid names no one key of two.
	if err := c.RevokeKey(ctx, email, email); staas.ErrorCode(err) != staas.EINVALID {
		t.Fatal(err)
	}
	if err := c.RevokeKey(ctx, email, "SECRET-nope"); staas.ErrorCode(err) != staas.ENOTFOUND || strings.Contains(err.Error(), "SECRET-nope") {
		t.Fatal(err)
	}
	if err := c.RevokeKey(ctx, email, "SECRET-0"); err != nil {
		t.Fatal(err)
	}
	// One key left: the uid names it.
	if err := c.RevokeKey(ctx, email, email); err != nil {
		t.Fatal(err)
	}
	if len(u.keys) != 0 {
		t.Fatalf("keys left: %v", u.keys)
	}
}

func TestUserStateAndLock(t *testing.T) {
	f, u := newUserWorld(t)
	u.routeUser(f, email)
	u.users[email] = ecs.NamespaceFor(email)
	u.keys = []string{"SECRET-0", "SECRET-1"}
	c := f.client(t)
	ctx := context.Background()
	if err := c.DisableUser(ctx, email); err != nil {
		t.Fatal(err)
	}
	got, err := c.User(ctx, staas.ByEmail(email))
	if err != nil {
		t.Fatal(err)
	}
	if got.State != "disabled" || len(got.Keys) != 2 || got.Keys[1].SecretAccessKey != "SECRET-1" {
		t.Fatalf("%+v", got)
	}
	if err := c.EnableUser(ctx, email); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.User(ctx, staas.ByID(email)); got == nil || !got.Enabled() {
		t.Fatalf("%+v", got)
	}
	if _, err := c.User(ctx, staas.ByEmail("nobody@example.com")); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatal(err)
	}
}

func TestDeleteUserDropsEmptyNamespace(t *testing.T) {
	f := newFake(t)
	ns := ecs.NamespaceFor(email)
	buckets := []map[string]any{}
	f.route("POST /object/users/deactivate", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	f.route("GET /object/bucket", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"object_bucket": buckets})
	})
	f.route("POST /object/namespaces/namespace/"+ns+"/deactivate", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	c := f.client(t)
	if err := c.DeleteUser(context.Background(), staas.ByEmail(email)); err != nil {
		t.Fatal(err)
	}
	if log := strings.Join(f.calls(), "\n"); !strings.Contains(log, "POST /object/namespaces/namespace/"+ns+"/deactivate") {
		t.Fatalf("namespace kept:\n%s", log)
	}
	buckets = append(buckets, map[string]any{"name": "left", "owner": email})
	f2 := len(f.calls())
	if err := c.DeleteUser(context.Background(), staas.ByEmail(email)); err != nil {
		t.Fatal(err)
	}
	for _, call := range f.calls()[f2:] {
		if strings.Contains(call, "/deactivate") && strings.Contains(call, "namespaces") {
			t.Fatalf("namespace with a bucket deleted: %s", call)
		}
	}
}

func TestQuotas(t *testing.T) {
	f := newFake(t)
	ns := ecs.NamespaceFor(email)
	var put string
	f.route("PUT /object/namespaces/namespace/"+ns+"/quota", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		_ = json.NewDecoder(r.Body).Decode(&in)
		bb, _ := json.Marshal(in)
		put = string(bb)
		w.WriteHeader(200)
	})
	f.route("GET /object/namespaces/namespace/"+ns+"/quota", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"namespace": ns, "blockSize": "10", "notificationSize": 9})
	})
	f.route("GET /object/namespaces", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"namespace": []map[string]any{{"name": ns, "id": ns}, {"name": "other", "id": "other"}, {"name": ecs.NamespaceFor("b@example.com")}}})
	})
	f.route("GET /object/bucket/shared-name/info", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"name": "shared-name", "namespace": r.URL.Query().Get("namespace")})
	})
	f.route("GET /object/bucket/mine/info", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("namespace") != ns {
			writeJSON(w, 404, map[string]any{"code": 1019, "description": "Resource not found", "retryable": false})
			return
		}
		writeJSON(w, 200, map[string]any{"name": "mine"})
	})
	f.route("GET /object/bucket/mine/quota", func(w http.ResponseWriter, r *http.Request) {
		writeRaw(w, 200, "application/xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><bucket_quota_details><blockSize>-1</blockSize><bucketname>mine</bucketname><namespace>`+ns+`</namespace><notificationSize>-1</notificationSize></bucket_quota_details>`)
	})
	c := f.client(t)
	ctx := context.Background()
	if err := c.SetQuota(ctx, staas.UserQuota(staas.ByEmail(email)), 1); err != nil {
		t.Fatal(err)
	}
	if put != `{"blockSize":1,"notificationSize":1}` {
		t.Fatal(put)
	}
	if err := c.SetQuota(ctx, staas.UserQuota(staas.ByEmail(email)), 25); err != nil || put != `{"blockSize":25,"notificationSize":22}` {
		t.Fatal(put, err)
	}
	q, err := c.Quota(ctx, staas.UserQuota(staas.ByEmail(email)))
	if err != nil || q.SizeGB != 10 || q.Type != "user" {
		t.Fatalf("%+v %v", q, err)
	}
	q, err = c.Quota(ctx, staas.BucketQuota("mine"))
	if err != nil || q.SizeGB != 0 || q.Type != "bucket" {
		t.Fatalf("%+v %v", q, err)
	}
	if _, err := c.Quota(ctx, staas.BucketQuota("shared-name")); staas.ErrorCode(err) != staas.EINVALID {
		t.Fatal(err)
	}
	if _, err := c.Quota(ctx, staas.BucketQuota("absent")); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatal(err)
	}
}
