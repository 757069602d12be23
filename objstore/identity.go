package objstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore/blob"
)

// CheckIdentity makes sure the metadata and the shard directories belong
// to the same store before New runs: New's orphan collection deletes every
// blob the metadata does not name, so a lost or replaced metadata
// directory (empty, or another store's) would otherwise wipe the data.
// The identity is the store id in the metadata and in each disk's marker
// (written by Maintenance). Disks without a marker (new, or written before
// markers existed) prove nothing and pass.
func CheckIdentity(ctx context.Context, db *meta.DB, blobs *blob.Store) error {
	var id string
	err := db.View(func(x *meta.Txn) error {
		v, err := x.Config("store-id")
		if err == meta.ErrNotFound {
			return nil
		}
		id = string(v)
		return err
	})
	if err != nil {
		return fmt.Errorf("read the store id: %w", err)
	}
	mine, theirs := 0, map[string][]int{}
	for i := 0; i < blobs.NumDisks(); i++ {
		sid, _, found, err := blobs.ReadMarker(ctx, i)
		switch {
		case err != nil || !found:
			// Unreadable or blank: the probe reports it later.
		case sid == id:
			mine++
		default:
			theirs[sid] = append(theirs[sid], i)
		}
	}
	if len(theirs) == 0 || mine > 0 {
		return nil
	}
	var desc []string
	for sid, disks := range theirs {
		desc = append(desc, fmt.Sprintf("store %s on disks %v", sid, disks))
	}
	what := "has no store identity (new, emptied or rebuilt)"
	if id != "" {
		what = "belongs to store " + id
	}
	return fmt.Errorf("%w: the shard directories hold data of %s, but the metadata %s: it is not the metadata "+
		"these disks were written with (lost, replaced or mixed up). Refusing to start, since the orphan collection "+
		"would delete every blob it does not name: restore the metadata directory, or point --data/--disks at matching ones",
		meta.ErrDamaged, strings.Join(desc, ", "), what)
}
