package objstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore/blob"
)

// The repairs of Fsck. Each is one metadata transaction (or one blob
// operation) that re-reads what it changes. None frees a blob: a blob a
// repair stops naming is an orphan the last tier deletes, after a fresh
// check has confirmed that nothing names it.

func (c *fscker) dropEntry(parent uint64, sortName string) error {
	return c.db.Update(func(x *meta.Txn) error { return x.DeleteDirentKey(parent, sortName) })
}

// fixEntryType rewrites an entry with its child's type bits; since a
// directory's entry sorts as "name/", the key may change.
func (c *fscker) fixEntryType(parent uint64, sortName string, d meta.Dirent, mode uint32) error {
	return c.db.Update(func(x *meta.Txn) error {
		nd := meta.Dirent{Name: d.Name, Ino: d.Ino, Mode: mode}
		if nd.SortName() != sortName {
			if _, err := x.DirentAt(parent, nd.SortName()); err == nil {
				return fmt.Errorf("%q in %d exists in the other form: %w", d.Name, parent, ErrExist)
			} else if err != meta.ErrNotFound {
				return err
			}
			if err := x.DeleteDirentKey(parent, sortName); err != nil {
				return err
			}
		}
		return x.PutDirent(parent, nd)
	})
}

// updateInode applies fn to inode ino in one transaction.
func (c *fscker) updateInode(ino uint64, fn func(n *meta.Inode) error) error {
	return c.db.Update(func(x *meta.Txn) error {
		n, err := x.Inode(ino)
		if err != nil {
			return fmt.Errorf("inode %d: %w", ino, err)
		}
		if err := fn(&n); err != nil {
			return err
		}
		return x.PutInode(&n)
	})
}

func (c *fscker) setParent(ino, parent uint64) error {
	return c.updateInode(ino, func(n *meta.Inode) error { n.Parent = parent; return nil })
}

func (c *fscker) setNlink(ino uint64, v uint32) error {
	return c.updateInode(ino, func(n *meta.Inode) error { n.Nlink = v; return nil })
}

func (c *fscker) setStored(ino uint64, v uint64) error {
	return c.updateInode(ino, func(n *meta.Inode) error { n.Stored = v; return nil })
}

func (c *fscker) unmarkOrphan(ino uint64) error {
	return c.db.Update(func(x *meta.Txn) error { return x.UnmarkOrphan(ino) })
}

func (c *fscker) dropExtent(ino, off uint64) error {
	return c.db.Update(func(x *meta.Txn) error { return x.DeleteExtent(ino, off) })
}

// trimToSize cuts extents and inline bytes at the file size: reads never
// return bytes past it, so nothing visible changes.
func (c *fscker) trimToSize(ino uint64) error {
	return c.db.Update(func(x *meta.Txn) error {
		n, err := x.Inode(ino)
		if err != nil {
			return err
		}
		old, err := x.Extents(ino)
		if err != nil {
			return err
		}
		if err := writeExtentDiff(x, ino, old, truncateExtents(old, n.Size)); err != nil {
			return err
		}
		inline, err := x.Content(ino)
		if err != nil || uint64(len(inline)) <= n.Size {
			return err
		}
		return x.PutContent(ino, inline[:n.Size])
	})
}

// dropRecords deletes extents, inline content, attributes and the orphan
// mark of an inode whose own record is gone.
func (c *fscker) dropRecords(ino uint64) error {
	return c.db.Update(func(x *meta.Txn) error {
		if _, err := x.Inode(ino); err == nil {
			return fmt.Errorf("inode %d exists again", ino)
		} else if err != meta.ErrNotFound {
			return err
		}
		return x.DeleteInode(ino)
	})
}

func (c *fscker) dropUpload(u meta.Upload) error {
	return c.db.Update(func(x *meta.Txn) error {
		if err := x.DeletePartsOf(u.UploadID); err != nil {
			return err
		}
		return x.DeleteUploadRecord(u.Bucket, u.Key, u.UploadID)
	})
}

func (c *fscker) dropPart(uploadID string, number int) error {
	return c.db.Update(func(x *meta.Txn) error { return x.DeletePart(uploadID, number) })
}

// freeInode deletes an inode nothing names or links.
func (c *fscker) freeInode(ino uint64) error {
	return c.db.Update(func(x *meta.Txn) error {
		n, err := x.Inode(ino)
		if err != nil {
			return err
		}
		if n.Nlink != 0 {
			return fmt.Errorf("inode %d has link count %d", ino, n.Nlink)
		}
		return x.DeleteInode(ino)
	})
}

// relink names an inode that has links but no names /lost+found/#<ino>,
// creating that directory (root only, mode 0700) when needed. Link counts
// are left to the next round.
func (c *fscker) relink(ino uint64) error {
	lfIno, err := c.newIno()
	if err != nil {
		return err
	}
	return c.db.Update(func(x *meta.Txn) error {
		n, err := x.Inode(ino)
		if err != nil {
			return err
		}
		root, err := x.Inode(uint64(RootIno))
		if err != nil {
			return fmt.Errorf("root directory: %w", err)
		}
		var lf meta.Inode
		d, err := x.Dirent(root.Ino, lostFound)
		switch {
		case err == meta.ErrNotFound:
			now := c.now()
			lf = meta.Inode{Ino: lfIno, Mode: ModeDir | 0o700, Nlink: 2, Parent: root.Ino,
				Atime: now, Mtime: now, Ctime: now, Crtime: now}
			root.Nlink++
			if err := x.PutInode(&root); err != nil {
				return err
			}
			if err := x.PutDirent(root.Ino, meta.Dirent{Name: lostFound, Ino: lf.Ino, Mode: lf.Mode}); err != nil {
				return err
			}
		case err != nil:
			return err
		case d.Mode&ModeType != ModeDir:
			return fmt.Errorf("/%s exists and is not a directory", lostFound)
		default:
			if lf, err = x.Inode(d.Ino); err != nil {
				return err
			}
		}
		if n.Mode&ModeType == ModeDir {
			lf.Nlink++
			n.Parent = lf.Ino
			if err := x.PutInode(&n); err != nil {
				return err
			}
		}
		if err := x.PutInode(&lf); err != nil {
			return err
		}
		return x.PutDirent(lf.Ino, meta.Dirent{Name: fmt.Sprintf("#%d", ino), Ino: ino, Mode: n.Mode})
	})
}

func (c *fscker) newIno() (uint64, error) {
	for {
		n, err := c.db.NextID("ino")
		if err != nil {
			return 0, fmt.Errorf("allocate inode: %w", err)
		}
		if n > uint64(RootIno) {
			return n, nil
		}
	}
}

func (c *fscker) now() int64 { return c.opts.Now().UnixNano() }

func (c *fscker) repairBlob(ctx context.Context, id uint64) error {
	if err := c.blobs.Repair(ctx, blob.ID(id)); err != nil {
		return err
	}
	if st := c.blobState[id]; st != nil {
		st.repaired = true
	}
	return nil
}

func (c *fscker) deleteBlob(ctx context.Context, id uint64) error {
	if err := c.blobs.Delete(ctx, blob.ID(id)); err != nil {
		return err
	}
	c.deleted[id] = true
	return nil
}

// copyBlob gives owner o its own copy of blob id, so that each blob has
// one owner again and freeing one cannot destroy the other's data.
func (c *fscker) copyBlob(ctx context.Context, id uint64, o blobOwner) error {
	size, err := c.blobs.Size(ctx, blob.ID(id))
	if err != nil {
		return err
	}
	data := make([]byte, size)
	if _, err := c.blobs.ReadAt(ctx, blob.ID(id), data, 0); err != nil && size > 0 {
		return fmt.Errorf("read blob %016x: %w", id, err)
	}
	var nid uint64
	for nid == 0 {
		if nid, err = c.db.NextID("blob"); err != nil {
			return fmt.Errorf("allocate blob id: %w", err)
		}
	}
	if err := c.blobs.Put(ctx, blob.ID(nid), data); err != nil {
		return err
	}
	err = c.db.Update(func(x *meta.Txn) error {
		if o.upload != "" {
			p, err := x.Part(o.upload, o.part)
			if err != nil {
				return err
			}
			for i := range p.Extents {
				if p.Extents[i].Blob == id {
					p.Extents[i].Blob = nid
				}
			}
			return x.PutPart(o.upload, &p)
		}
		ext, err := x.Extents(o.ino)
		if err != nil {
			return err
		}
		for _, e := range ext {
			if e.Blob == id {
				e.Blob = nid
				if err := x.PutExtent(o.ino, e); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return errors.Join(err, c.blobs.Delete(context.WithoutCancel(ctx), blob.ID(nid)))
	}
	return nil
}
