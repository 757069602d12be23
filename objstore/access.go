package objstore

import (
	"context"
	"fmt"

	"github.com/shallot-storage/shallot/meta"
)

// Permission bits asked of an inode, as in access(2).
const (
	mayRead  uint32 = 4
	mayWrite uint32 = 2
	mayExec  uint32 = 1
)

type callerKey struct{}

// WithCaller tags ctx with the POSIX identity a door acts for, so that
// object operations check permissions the way the mount does: an S3 key
// mapped to uid:gid may do through S3 what that user may do in the mount.
// Without a caller (the mount, whose kernel checks permissions with
// default_permissions, and internal work) nothing is checked here.
func WithCaller(ctx context.Context, o Owner) context.Context {
	return context.WithValue(ctx, callerKey{}, o)
}

func callerOf(ctx context.Context) *Owner {
	if o, ok := ctx.Value(callerKey{}).(Owner); ok {
		return &o
	}
	return nil
}

// allowed applies the owner/group/other bits of n; root may do anything.
func allowed(n *meta.Inode, who *Owner, want uint32) bool {
	if who == nil || who.Uid == 0 {
		return true
	}
	var bits uint32
	switch {
	case who.Uid == n.Uid:
		bits = n.Mode >> 6
	case who.Gid == n.Gid:
		bits = n.Mode >> 3
	default:
		bits = n.Mode
	}
	return bits&want == want
}

func checkAccess(n *meta.Inode, who *Owner, want uint32, what string) error {
	if allowed(n, who, want) {
		return nil
	}
	return fmt.Errorf("%s: uid %d may not %s: %w", what, who.Uid, verbs(want), ErrPermission)
}

func verbs(want uint32) string {
	s := ""
	for _, v := range []struct {
		bit  uint32
		name string
	}{{mayRead, "read"}, {mayWrite, "write"}, {mayExec, "search"}} {
		if want&v.bit != 0 {
			if s != "" {
				s += "+"
			}
			s += v.name
		}
	}
	return s
}
