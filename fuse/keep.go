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

// kept is the outcome of keepChild: the operation that removes the name
// ends with undo (it failed) or settle (it succeeded).
type kept struct {
	srv *Server
	cn  *node
	h   *objstore.Handle
}

// keepChild holds the storage of the regular file this directory's name
// points to, if the kernel knows it, before the mount removes or replaces
// that name. A failure to hold only loses the protection, never the
// operation.
func (n *node) keepChild(ctx context.Context, name string) kept {
	child := n.GetChild(name)
	if child == nil || child.StableAttr().Mode&objstore.ModeType != objstore.ModeRegular {
		return kept{}
	}
	cn, ok := child.Operations().(*node)
	if !ok {
		return kept{}
	}
	cn.keepMu.Lock()
	defer cn.keepMu.Unlock()
	if cn.keep != nil {
		return kept{}
	}
	h, err := n.srv.store.Open(n.srv.ctx(ctx), cn.ino(), false)
	if err != nil {
		return kept{}
	}
	cn.keep = h
	return kept{srv: n.srv, cn: cn, h: h}
}

// undo stops holding the file: the name was not removed after all.
func (k kept) undo() {
	if k.h == nil {
		return
	}
	k.cn.keepMu.Lock()
	held := k.cn.keep == k.h
	if held {
		k.cn.keep = nil
	}
	k.cn.keepMu.Unlock()
	if held {
		k.h.Release(k.srv.ctx(context.Background()))
	}
}

// settle keeps holding the file only if the removed name was its last:
// one with other names (hard links) needs no help to stay.
func (k kept) settle(ctx context.Context) {
	if k.h == nil {
		return
	}
	if a, err := k.srv.store.GetAttr(k.srv.ctx(ctx), k.cn.ino()); err == nil && a.Nlink > 0 {
		k.undo()
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
