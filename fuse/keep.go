package fuse

import (
	"context"

	"github.com/shallot-storage/shallot/objstore"
)

// The store frees a file when its last name is gone and no handle has it
// open. The kernel, though, may still hold the file's node from a lookup
// made just before the name went away, and open it through that node: a
// reader that looked up "current" while a writer renamed "current.new"
// over it must open the old file, not fail with ENOENT. A local file
// system keeps the inode while the kernel references it; here the door
// does, by holding a store handle on the file from the moment the mount
// removes or replaces a name the kernel knows until the kernel forgets the
// node (OnForget). The kernel forgets an unlinked node as soon as nothing
// uses it, so the handle lives about as long as the race it covers.
//
// Names removed through another door are not covered: that door's event
// drops the kernel's entry, and a racing open of the old node answers
// ENOENT, as over NFS.

// keepChild holds the storage of the regular file this directory's name
// points to, if the kernel knows it, before the mount removes or replaces
// that name. The caller calls undo if the removal failed, so that a file
// that keeps its name is not held. A failure to hold only loses the
// protection, never the operation.
func (n *node) keepChild(ctx context.Context, name string) (undo func()) {
	nothing := func() {}
	child := n.GetChild(name)
	if child == nil || child.StableAttr().Mode&objstore.ModeType != objstore.ModeRegular {
		return nothing
	}
	cn, ok := child.Operations().(*node)
	if !ok {
		return nothing
	}
	cn.keepMu.Lock()
	defer cn.keepMu.Unlock()
	if cn.keep != nil {
		return nothing
	}
	h, err := n.srv.store.Open(n.srv.ctx(ctx), cn.ino(), false)
	if err != nil {
		return nothing
	}
	cn.keep = h
	return func() {
		cn.keepMu.Lock()
		held := cn.keep == h
		if held {
			cn.keep = nil
		}
		cn.keepMu.Unlock()
		if held {
			h.Release(n.srv.ctx(context.Background()))
		}
	}
}

// OnForget runs when the kernel drops its last reference to the node:
// nothing can open the file through it any more.
func (n *node) OnForget() {
	n.keepMu.Lock()
	h := n.keep
	n.keep = nil
	n.keepMu.Unlock()
	if h == nil {
		return
	}
	if err := h.Release(n.srv.ctx(context.Background())); err != nil {
		n.srv.log.WithError(err).WithField("ino", n.ino()).Warn("releasing a removed file the kernel forgot")
	}
}
