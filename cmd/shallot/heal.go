package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/shallot-storage/shallot/meta"
)

// runHeal asks the running daemon for a heal pass over every disk: each
// blob's shard headers are read, and blobs with a missing or bad shard are
// rebuilt. It waits for the pass and prints what it did. (The daemon also
// heals on its own when a disk comes back or a blank one appears.)
func runHeal(args []string) error {
	fs := flag.NewFlagSet("heal", flag.ContinueOnError)
	data := fs.String("data", "./shallot-data", "the daemon's data directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var c meta.JobCounts
	err := adminCall(*data, "POST", "/heal", &c)
	if errors.Is(err, errNoDaemon) {
		return fmt.Errorf("%w on %s: heal runs in the daemon (start it; shallot fsck --repair works offline)", err, *data)
	}
	if err != nil {
		return err
	}
	fmt.Printf("heal pass done: %s\n", countLine(c))
	if c.Unreadable > 0 || c.Missing > 0 {
		return fmt.Errorf("%d blobs could not be rebuilt: data lost (see the daemon log, run shallot fsck)", c.Unreadable+c.Missing)
	}
	if c.RepairFails > 0 {
		return fmt.Errorf("%d blobs could not be rebuilt (a disk still failing?); see the daemon log", c.RepairFails)
	}
	return nil
}

// runScrub asks the running daemon for a scrub pass now, at full speed,
// and by default waits for it.
func runScrub(args []string) error {
	fs := flag.NewFlagSet("scrub", flag.ContinueOnError)
	data := fs.String("data", "./shallot-data", "the daemon's data directory")
	noWait := fs.Bool("no-wait", false, "start the pass and return")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	path := "/scrub?wait=1"
	if *noWait {
		path = "/scrub"
	}
	var c meta.JobCounts
	err := adminCall(*data, "POST", path, &c)
	if errors.Is(err, errNoDaemon) {
		return fmt.Errorf("%w on %s: scrub runs in the daemon (shallot fsck checks a stopped one)", err, *data)
	}
	if err != nil {
		return err
	}
	if *noWait {
		fmt.Println("scrub pass requested; see shallot status")
		return nil
	}
	fmt.Printf("scrub pass done: %s\n", countLine(c))
	if c.Unreadable > 0 || c.Missing > 0 {
		return fmt.Errorf("%d blobs are beyond repair: data lost (see the daemon log, run shallot fsck)", c.Unreadable+c.Missing)
	}
	return nil
}
