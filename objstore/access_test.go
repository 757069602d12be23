package objstore

import (
	"bytes"
	"errors"
	"testing"
)

func TestCallerPermissions(t *testing.T) {
	s := small(t)
	alice, bob := Owner{Uid: 1001, Gid: 100}, Owner{Uid: 1002, Gid: 200}
	actx, bctx := WithCaller(ctx, alice), WithCaller(ctx, bob)
	if err := s.CreateBucket(actx, "alice", alice); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutObject(actx, "alice", "private/f", bytes.NewReader([]byte("x")), 1, PutOptions{Owner: alice}); err != nil {
		t.Fatal(err)
	}
	bk, _ := s.Lookup(ctx, RootIno, "alice")
	mode := uint32(0o700)
	if _, err := s.SetAttr(ctx, bk.Ino, SetAttrIn{Mode: &mode}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		op   func() error
		want error
	}{
		{"owner reads", func() error { _, err := s.HeadObject(actx, "alice", "private/f"); return err }, nil},
		{"other cannot read", func() error { _, err := s.HeadObject(bctx, "alice", "private/f"); return err }, ErrPermission},
		{"other cannot write", func() error {
			_, err := s.PutObject(bctx, "alice", "g", bytes.NewReader(nil), 0, PutOptions{Owner: bob})
			return err
		}, ErrPermission},
		{"other cannot delete", func() error { return s.DeleteObject(bctx, "alice", "private/f") }, ErrPermission},
		{"other cannot list", func() error { _, err := s.ListObjects(bctx, "alice", ListQuery{Limit: 10}); return err }, ErrPermission},
		{"other cannot delete bucket", func() error { return s.DeleteBucket(bctx, "alice") }, ErrPermission},
		{"root reads", func() error { _, err := s.HeadObject(WithCaller(ctx, Owner{}), "alice", "private/f"); return err }, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.op(); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	if got := readAll(t, s, "alice", "private/f"); string(got) != "x" {
		t.Fatalf("content after refused operations: %q", got)
	}
}
