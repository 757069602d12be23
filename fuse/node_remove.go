package fuse

import (
	"context"
	"syscall"

	fusefs "github.com/hanwen/go-fuse/v2/fs"

	"github.com/shallot-storage/shallot/objstore"
)

var (
	_ fusefs.NodeUnlinker = (*node)(nil)
	_ fusefs.NodeRmdirer  = (*node)(nil)
	_ fusefs.NodeRenamer  = (*node)(nil)
)

// Unlink removes a name of a non-directory. A file still open through the
// mount stays readable and writable until its last handle is released.
func (n *node) Unlink(ctx context.Context, name string) syscall.Errno {
	k := n.keepChild(ctx, name)
	if err := n.srv.store.Unlink(n.srv.ctx(ctx), n.ino(), name); err != nil {
		k.undo()
		return n.srv.errno("unlink", err, permForbidden)
	}
	k.settle(ctx)
	return 0
}

// Rmdir removes an empty directory.
func (n *node) Rmdir(ctx context.Context, name string) syscall.Errno {
	if err := n.srv.store.Rmdir(n.srv.ctx(ctx), n.ino(), name); err != nil {
		return n.srv.errno("rmdir", err, permForbidden)
	}
	return 0
}

// renameFlags are the renameat2(2) flags the store implements; the kernel
// passes the caller's flags through unchanged.
const (
	renameNoReplace = 1 << 0
	renameExchange  = 1 << 1
)

// Rename moves name to newParent/newName, replacing a file there unless
// the caller asked RENAME_NOREPLACE, or swapping the two with
// RENAME_EXCHANGE.
func (n *node) Rename(ctx context.Context, name string, newParent fusefs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	var sf objstore.RenameFlags
	if flags&renameNoReplace != 0 {
		sf |= objstore.RenameNoReplace
	}
	if flags&renameExchange != 0 {
		sf |= objstore.RenameExchange
	}
	if flags&^(renameNoReplace|renameExchange) != 0 {
		// RENAME_WHITEOUT belongs to overlay file systems.
		return syscall.EINVAL
	}
	dst := objstore.Ino(newParent.EmbeddedInode().StableAttr().Ino)
	var k kept
	if sf&(objstore.RenameExchange|objstore.RenameNoReplace) == 0 {
		if np, ok := newParent.(*node); ok {
			k = np.keepChild(ctx, newName)
		}
	}
	if err := n.srv.store.Rename(n.srv.ctx(ctx), n.ino(), name, dst, newName, sf); err != nil {
		k.undo()
		return n.srv.errno("rename", err, permForbidden)
	}
	k.settle(ctx)
	return 0
}
