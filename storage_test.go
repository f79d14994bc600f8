package staas

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestKeyPair_HidesSecret(t *testing.T) {
	kp := KeyPair{AccessKeyID: "AKID", SecretAccessKey: "s3cr3t-value"}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("k", "key", kp)
	out := fmt.Sprintf("%v %+v %#v %s %v", kp, kp, kp, kp, []KeyPair{kp}) + logged.String()
	if strings.Contains(out, "s3cr3t") || !strings.Contains(out, "AKID") {
		t.Fatalf("output %q", out)
	}
}

func TestSubjects_Accessors(t *testing.T) {
	if r := ByEmail("a@b.c"); r.Email() != "a@b.c" || r.ID() != "" || r.IsZero() || r.String() != "a@b.c" {
		t.Errorf("ByEmail: %+v", r)
	}
	if r := ByID("0123"); r.ID() != "0123" || r.Email() != "" || r.String() != "id 0123" {
		t.Errorf("ByID: %+v", r)
	}
	if s := UserLimits(ByID("x")); s.User().ID() != "x" || s.Bucket() != "" {
		t.Errorf("UserLimits: %+v", s)
	}
	if s := BucketLimits("b"); !s.User().IsZero() || s.Bucket() != "b" {
		t.Errorf("BucketLimits: %+v", s)
	}
	if s := DefaultQuota("user"); s.Default() != "user" || s.Bucket() != "" || !s.User().IsZero() {
		t.Errorf("DefaultQuota: %+v", s)
	}
	if s := BucketQuota("b"); s.Bucket() != "b" {
		t.Errorf("BucketQuota: %+v", s)
	}
	if s := UserQuota(ByEmail("e@x.y")); s.User().Email() != "e@x.y" {
		t.Errorf("UserQuota: %+v", s)
	}
}
