package fuse

import (
	"context"
	"errors"
	"syscall"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/shallot-storage/shallot/objstore"
)

var (
	_ fusefs.NodeMkdirer   = (*node)(nil)
	_ fusefs.NodeMknoder   = (*node)(nil)
	_ fusefs.NodeCreater   = (*node)(nil)
	_ fusefs.NodeSymlinker = (*node)(nil)
	_ fusefs.NodeLinker    = (*node)(nil)
)

// newNodeIn returns what to create on behalf of the caller: the caller's
// uid and gid. The store gives the node the directory's group instead when
// the directory is setgid, in the creating transaction.
func newNodeIn(ctx context.Context, mode uint32, rdev uint32) objstore.NodeIn {
	in := objstore.NodeIn{Mode: mode, Rdev: rdev}
	if caller, ok := gofuse.FromContext(ctx); ok {
		in.Uid, in.Gid = caller.Uid, caller.Gid
	}
	return in
}

// Mkdir creates a directory; mode arrives with the caller's umask applied.
func (n *node) Mkdir(ctx context.Context, name string, mode uint32, out *gofuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	in := newNodeIn(ctx, objstore.ModeDir|mode&objstore.ModePerm, 0)
	a, err := n.srv.store.Mkdir(n.srv.ctx(ctx), n.ino(), name, in)
	if err != nil {
		return nil, n.srv.errno("mkdir", err, permDenied)
	}
	return n.newChild(ctx, a, out), 0
}

// Mknod creates a FIFO, socket, device node or empty regular file.
func (n *node) Mknod(ctx context.Context, name string, mode uint32, dev uint32, out *gofuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	if mode&objstore.ModeType == 0 {
		mode |= objstore.ModeRegular
	}
	a, err := n.srv.store.Mknod(n.srv.ctx(ctx), n.ino(), name, newNodeIn(ctx, mode, dev))
	if err != nil {
		return nil, n.srv.errno("mknod", err, permDenied)
	}
	return n.newChild(ctx, a, out), 0
}

// Create creates and opens a regular file (open with O_CREAT of a name the
// kernel believes absent).
func (n *node) Create(ctx context.Context, name string, flags uint32, mode uint32, out *gofuse.EntryOut) (*fusefs.Inode, fusefs.FileHandle, uint32, syscall.Errno) {
	sctx := n.srv.ctx(ctx)
	in := newNodeIn(ctx, objstore.ModeRegular|mode&objstore.ModePerm, 0)
	a, h, err := n.srv.store.CreateFile(sctx, n.ino(), name, in)
	if errors.Is(err, objstore.ErrExist) && flags&syscall.O_EXCL == 0 {
		// The name appeared after the kernel's lookup (another door, or
		// a negative entry the kernel still held): open(2) without
		// O_EXCL then opens the existing file.
		a, h, err = n.openExisting(sctx, name, flags&syscall.O_TRUNC != 0)
	}
	if err != nil {
		return nil, nil, 0, n.srv.errno("create", err, permDenied)
	}
	return n.newChild(ctx, a, out), &fileHandle{srv: n.srv, h: h}, openFlags(flags, a.Mode), 0
}

// openExisting opens name for a create that found it taken.
func (n *node) openExisting(ctx context.Context, name string, truncate bool) (objstore.Attr, *objstore.Handle, error) {
	a, err := n.srv.store.Lookup(ctx, n.ino(), name)
	if err == nil && !a.IsRegular() {
		if a.IsDir() {
			err = objstore.ErrIsDir
		} else {
			err = objstore.ErrExist
		}
	}
	if err != nil {
		return a, nil, err
	}
	h, err := n.srv.store.Open(ctx, a.Ino, truncate)
	if err != nil {
		return a, nil, err
	}
	if truncate {
		a.Size, a.Blocks = 0, 0
	}
	return a, h, nil
}

// Symlink creates a symbolic link owned by the caller.
func (n *node) Symlink(ctx context.Context, target, name string, out *gofuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	in := newNodeIn(ctx, objstore.ModeSymlink|0o777, 0)
	owner := objstore.Owner{Uid: in.Uid, Gid: in.Gid}
	a, err := n.srv.store.Symlink(n.srv.ctx(ctx), n.ino(), name, target, owner)
	if err != nil {
		return nil, n.srv.errno("symlink", err, permDenied)
	}
	return n.newChild(ctx, a, out), 0
}

// Link adds a name for an existing file.
func (n *node) Link(ctx context.Context, target fusefs.InodeEmbedder, name string, out *gofuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	ino := objstore.Ino(target.EmbeddedInode().StableAttr().Ino)
	a, err := n.srv.store.Link(n.srv.ctx(ctx), ino, n.ino(), name)
	if err != nil {
		return nil, n.srv.errno("link", err, permForbidden)
	}
	return n.newChild(ctx, a, out), 0
}
