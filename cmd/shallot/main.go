// Command shallot is the storage daemon and its admin tool.
//
//	shallot serve [flags]            run the daemon (FUSE mount + S3)
//	shallot key SUBCOMMAND [flags]   manage S3 access keys
//	shallot fsck [--repair]          check (and repair) a stopped daemon's data
//	shallot status                   disks, degraded blobs, scrub and heal
//	shallot heal | scrub             run a heal or scrub pass in the daemon now
//	shallot version
package main

import (
	"fmt"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		reexecWithMadvFree()
		err = runServe(os.Args[2:])
	case "key":
		err = runKey(os.Args[2:])
	case "fsck":
		err = runFsck(os.Args[2:])
	case "status":
		err = runStatus(os.Args[2:])
	case "heal":
		err = runHeal(os.Args[2:])
	case "scrub":
		err = runScrub(os.Args[2:])
	case "version", "--version":
		fmt.Println("shallot", version)
	case "help", "-h", "--help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "shallot: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "shallot %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  shallot serve --data DIR --mount DIR --s3-addr HOST:PORT [--disks DIR,DIR,...] [--ec K+M]
  shallot key create --uid N --gid N [--access-key K --secret-key S] [--data DIR]
  shallot key list|disable|enable|reset [ACCESS_KEY] [--data DIR]
  shallot fsck [--data DIR] [--repair] [--check-data full|headers|none]
  shallot status [--data DIR] [--json]
  shallot heal [--data DIR]
  shallot scrub [--data DIR] [--no-wait]
  shallot version
Run "shallot serve -h" or "shallot key -h" for the flags.
`)
}
