package fuse

import (
	"context"
	"syscall"

	fusefs "github.com/hanwen/go-fuse/v2/fs"

	"github.com/shallot-storage/shallot/objstore"
)

var (
	_ fusefs.NodeGetxattrer    = (*node)(nil)
	_ fusefs.NodeSetxattrer    = (*node)(nil)
	_ fusefs.NodeListxattrer   = (*node)(nil)
	_ fusefs.NodeRemovexattrer = (*node)(nil)
)

// setxattr(2) flags, passed through unchanged by the kernel.
const (
	xattrCreate  = 1
	xattrReplace = 2
)

// Getxattr copies the value into dest. When dest is too small it answers
// ERANGE with the size needed; for a size probe (empty dest) go-fuse turns
// that into success with the size, as getxattr(2) wants.
func (n *node) Getxattr(ctx context.Context, attr string, dest []byte) (uint32, syscall.Errno) {
	v, err := n.srv.store.GetXattr(n.srv.ctx(ctx), n.ino(), attr)
	if err != nil {
		return 0, n.srv.errno("getxattr", err, permDenied)
	}
	if len(dest) < len(v) {
		return uint32(len(v)), syscall.ERANGE
	}
	return uint32(copy(dest, v)), 0
}

// Listxattr writes the names, each NUL-terminated, with the same size
// convention as Getxattr.
func (n *node) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	names, err := n.srv.store.ListXattr(n.srv.ctx(ctx), n.ino())
	if err != nil {
		return 0, n.srv.errno("listxattr", err, permDenied)
	}
	size := 0
	for _, name := range names {
		size += len(name) + 1
	}
	if len(dest) < size {
		return uint32(size), syscall.ERANGE
	}
	off := 0
	for _, name := range names {
		off += copy(dest[off:], name)
		dest[off] = 0
		off++
	}
	return uint32(size), 0
}

// Setxattr sets one attribute. XATTR_CREATE fails with EEXIST on an
// existing attribute, XATTR_REPLACE with ENODATA on a missing one.
func (n *node) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	if flags&^(xattrCreate|xattrReplace) != 0 {
		return syscall.EINVAL
	}
	var xf objstore.XattrFlags
	if flags&xattrCreate != 0 {
		xf |= objstore.XattrCreate
	}
	if flags&xattrReplace != 0 {
		xf |= objstore.XattrReplace
	}
	if err := n.srv.store.SetXattr(n.srv.ctx(ctx), n.ino(), attr, data, xf); err != nil {
		return n.srv.errno("setxattr", err, permForbidden)
	}
	return 0
}

// Removexattr removes one attribute; a missing one is ENODATA.
func (n *node) Removexattr(ctx context.Context, attr string) syscall.Errno {
	if err := n.srv.store.RemoveXattr(n.srv.ctx(ctx), n.ino(), attr); err != nil {
		return n.srv.errno("removexattr", err, permForbidden)
	}
	return 0
}
