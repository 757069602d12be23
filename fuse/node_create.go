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

const modeSetgid = 0o2000

// newNodeIn returns what to create in this directory on behalf of the
// caller: the caller's uid, and its gid unless the directory is setgid, in
// which case the directory's group (and, for a directory, the setgid bit)
// is inherited as on a local file system.
func (n *node) newNodeIn(ctx context.Context, mode uint32, rdev uint32) (objstore.NodeIn, error) {
	in := objstore.NodeIn{Mode: mode, Rdev: rdev}
	if caller, ok := gofuse.FromContext(ctx); ok {
		in.Uid, in.Gid = caller.Uid, caller.Gid
	}
	parent, err := n.srv.store.GetAttr(n.srv.ctx(ctx), n.ino())
	if err != nil {
		return in, err
	}
	if parent.Mode&modeSetgid != 0 {
		in.Gid = parent.Gid
		if mode&objstore.ModeType == objstore.ModeDir {
			in.Mode |= modeSetgid
		}
	}
	return in, nil
}

// Mkdir creates a directory; mode arrives with the caller's umask applied.
func (n *node) Mkdir(ctx context.Context, name string, mode uint32, out *gofuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	in, err := n.newNodeIn(ctx, objstore.ModeDir|mode&objstore.ModePerm, 0)
	if err == nil {
		var a objstore.Attr
		if a, err = n.srv.store.Mkdir(n.srv.ctx(ctx), n.ino(), name, in); err == nil {
			return n.newChild(ctx, a, out), 0
		}
	}
	return nil, n.srv.errno("mkdir", err, permDenied)
}

// Mknod creates a FIFO, socket, device node or empty regular file.
func (n *node) Mknod(ctx context.Context, name string, mode uint32, dev uint32, out *gofuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	if mode&objstore.ModeType == 0 {
		mode |= objstore.ModeRegular
	}
	in, err := n.newNodeIn(ctx, mode, dev)
	if err == nil {
		var a objstore.Attr
		if a, err = n.srv.store.Mknod(n.srv.ctx(ctx), n.ino(), name, in); err == nil {
			return n.newChild(ctx, a, out), 0
		}
	}
	return nil, n.srv.errno("mknod", err, permDenied)
}

// Create creates and opens a regular file (open with O_CREAT of a name the
// kernel believes absent).
func (n *node) Create(ctx context.Context, name string, flags uint32, mode uint32, out *gofuse.EntryOut) (*fusefs.Inode, fusefs.FileHandle, uint32, syscall.Errno) {
	sctx := n.srv.ctx(ctx)
	in, err := n.newNodeIn(ctx, objstore.ModeRegular|mode&objstore.ModePerm, 0)
	if err != nil {
		return nil, nil, 0, n.srv.errno("create", err, permDenied)
	}
	a, err := n.srv.store.Mknod(sctx, n.ino(), name, in)
	truncate := false
	if errors.Is(err, objstore.ErrExist) && flags&syscall.O_EXCL == 0 {
		// The name appeared after the kernel's lookup (another door, or
		// a negative entry the kernel still held): open(2) without
		// O_EXCL then opens the existing file.
		a, err = n.srv.store.Lookup(sctx, n.ino(), name)
		if err == nil && !a.IsRegular() {
			if a.IsDir() {
				err = objstore.ErrIsDir
			} else {
				err = objstore.ErrExist
			}
		}
		truncate = flags&syscall.O_TRUNC != 0
	}
	if err != nil {
		return nil, nil, 0, n.srv.errno("create", err, permDenied)
	}
	h, err := n.srv.store.Open(sctx, a.Ino, truncate)
	if err != nil {
		return nil, nil, 0, n.srv.errno("create", err, permDenied)
	}
	if truncate {
		a.Size, a.Blocks = 0, 0
	}
	return n.newChild(ctx, a, out), &fileHandle{srv: n.srv, h: h}, openFlags(flags, a.Mode), 0
}

// Symlink creates a symbolic link owned by the caller.
func (n *node) Symlink(ctx context.Context, target, name string, out *gofuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	in, err := n.newNodeIn(ctx, objstore.ModeSymlink|0o777, 0)
	if err == nil {
		var a objstore.Attr
		owner := objstore.Owner{Uid: in.Uid, Gid: in.Gid}
		if a, err = n.srv.store.Symlink(n.srv.ctx(ctx), n.ino(), name, target, owner); err == nil {
			return n.newChild(ctx, a, out), 0
		}
	}
	return nil, n.srv.errno("symlink", err, permDenied)
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
