package fuse

import (
	"context"
	"sync"
	"syscall"
	"time"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/shallot-storage/shallot/objstore"
)

// node is one file of the store as go-fuse knows it. It holds no state of
// its own beyond its identity: every answer comes from the store, so there
// is nothing here to go stale.
type node struct {
	fusefs.Inode
	srv *Server

	// keepMu guards keep, a handle that holds the file's storage while
	// the kernel may still open it by this node although its last name
	// is gone (see keepChild).
	keepMu sync.Mutex
	keep   *objstore.Handle
}

var (
	_ fusefs.InodeEmbedder = (*node)(nil)

	_ fusefs.NodeGetattrer   = (*node)(nil)
	_ fusefs.NodeSetattrer   = (*node)(nil)
	_ fusefs.NodeLookuper    = (*node)(nil)
	_ fusefs.NodeReadlinker  = (*node)(nil)
	_ fusefs.NodeStatfser    = (*node)(nil)
	_ fusefs.NodeFsyncer     = (*node)(nil)
	_ fusefs.NodeOnForgetter = (*node)(nil)
)

func (n *node) ino() objstore.Ino { return objstore.Ino(n.StableAttr().Ino) }

// newChild returns the go-fuse inode for a store file the kernel is about
// to learn of, and fills out with its attributes. go-fuse hands back the
// inode it already has when the file is known (a hard link seen through a
// second name).
func (n *node) newChild(ctx context.Context, a objstore.Attr, out *gofuse.EntryOut) *fusefs.Inode {
	n.srv.pendingAtime(a.Ino, &a)
	fillAttr(&out.Attr, a)
	return n.NewInode(ctx, &node{srv: n.srv}, fusefs.StableAttr{
		Mode: a.Mode & objstore.ModeType,
		Ino:  uint64(a.Ino),
		Gen:  a.Gen,
	})
}

// fillAttr converts the store's attributes to the kernel's.
func fillAttr(out *gofuse.Attr, a objstore.Attr) {
	out.Ino = uint64(a.Ino)
	out.Size = a.Size
	out.Blocks = a.Blocks
	out.Mode = a.Mode
	out.Nlink = a.Nlink
	out.Uid = a.Uid
	out.Gid = a.Gid
	out.Rdev = a.Rdev
	out.Blksize = blockSize
	out.Atime, out.Atimensec = unixTime(a.Atime)
	out.Mtime, out.Mtimensec = unixTime(a.Mtime)
	out.Ctime, out.Ctimensec = unixTime(a.Ctime)
}

// unixTime splits t for the kernel, which reads the seconds as signed: a
// time before 1970 (tar archives carry them) passes as its two's
// complement. The zero time, "never set", becomes the epoch.
func unixTime(t time.Time) (sec uint64, nsec uint32) {
	if t.IsZero() {
		return 0, 0
	}
	return uint64(t.Unix()), uint32(t.Nanosecond())
}

// Getattr answers stat(2). The file handle is not needed: the store shows
// writes through every handle of an inode to all of them at once.
func (n *node) Getattr(ctx context.Context, _ fusefs.FileHandle, out *gofuse.AttrOut) syscall.Errno {
	a, err := n.srv.store.GetAttr(n.srv.ctx(ctx), n.ino())
	if err != nil {
		return n.srv.errno("getattr", err, permDenied)
	}
	n.srv.pendingAtime(a.Ino, &a)
	fillAttr(&out.Attr, a)
	return 0
}

// Setattr answers chmod, chown, truncate and utimensat. The kernel has
// already checked that the caller may (default_permissions).
func (n *node) Setattr(ctx context.Context, _ fusefs.FileHandle, in *gofuse.SetAttrIn, out *gofuse.AttrOut) syscall.Errno {
	var set objstore.SetAttrIn
	if m, ok := in.GetMode(); ok {
		set.Mode = &m
	}
	if uid, ok := in.GetUID(); ok {
		set.Uid = &uid
	}
	if gid, ok := in.GetGID(); ok {
		set.Gid = &gid
	}
	if size, ok := in.GetSize(); ok {
		set.Size = &size
	}
	if t, ok := in.GetATime(); ok {
		set.Atime = &t
	}
	if t, ok := in.GetMTime(); ok {
		set.Mtime = &t
	}
	if set.Atime != nil {
		defer n.srv.forgetAtime(n.ino())()
	}
	a, err := n.srv.store.SetAttr(n.srv.ctx(ctx), n.ino(), set)
	if err != nil {
		return n.srv.errno("setattr", err, permForbidden)
	}
	n.srv.pendingAtime(a.Ino, &a)
	fillAttr(&out.Attr, a)
	return 0
}

// Lookup resolves one name in this directory.
func (n *node) Lookup(ctx context.Context, name string, out *gofuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	a, err := n.srv.store.Lookup(n.srv.ctx(ctx), n.ino(), name)
	if err != nil {
		return nil, n.srv.errno("lookup", err, permDenied)
	}
	return n.newChild(ctx, a, out), 0
}

// Readlink returns a symlink's target.
func (n *node) Readlink(ctx context.Context) ([]byte, syscall.Errno) {
	target, err := n.srv.store.Readlink(n.srv.ctx(ctx), n.ino())
	if err != nil {
		return nil, n.srv.errno("readlink", err, permDenied)
	}
	return []byte(target), 0
}

// Statfs reports the store's capacity in its own block size.
func (n *node) Statfs(ctx context.Context, out *gofuse.StatfsOut) syscall.Errno {
	st, err := n.srv.store.StatFS(n.srv.ctx(ctx))
	if err != nil {
		return n.srv.errno("statfs", err, permDenied)
	}
	bs := st.BlockSize
	if bs == 0 {
		bs = 4096
	}
	out.Bsize = bs
	out.Frsize = bs
	out.Blocks = st.TotalBytes / uint64(bs)
	out.Bfree = st.FreeBytes / uint64(bs)
	out.Bavail = out.Bfree
	out.Files = st.TotalInodes
	out.Ffree = st.FreeInodes
	out.NameLen = maxNameLen
	return 0
}

// maxNameLen is the longest name segment the store accepts (an S3 key
// segment, like a POSIX name, is at most 255 bytes).
const maxNameLen = 255

// Fsync commits an open file durably. On a directory it makes the
// namespace changes made through the mount durable (the store commits them
// without waiting for the disk, as a local file system does).
func (n *node) Fsync(ctx context.Context, f fusefs.FileHandle, _ uint32) syscall.Errno {
	fh, ok := f.(*fileHandle)
	if !ok {
		return n.srv.errno("fsync", n.srv.store.Sync(ctx), permDenied)
	}
	return fh.fsync(ctx)
}
