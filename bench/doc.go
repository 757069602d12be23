// Package bench holds shallot's benchmarks; it has no library code. The Go
// benchmarks in this directory measure objstore's data path on real
// directory disks against plain files in the same temporary directory;
// run.sh runs fio, small-file and S3 loads (bench/smallfiles,
// bench/s3load) through a daemon it starts. Figures are ratios against a
// baseline measured in the same run; see README.md.
package bench
