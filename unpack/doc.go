// Package unpack reads what archives and compressed files hold: the
// members of zip (and jar, war, whl, apk, docx…), tar, 7z and rar files,
// the text inside gzip, bzip2, xz, zstd, lz4, brotli, lzip, snappy, zlib
// and minlz files, and any nesting of them, each member handed to a
// function as bytes in memory.
//
// It is what `gitleaks dir --max-archive-depth N` does to a file it finds,
// with the same library (mholt/archives, which recognises a format by the
// file's name) and the same names for what it finds
// ("inner/files.zip!files/api.go": the members' paths from the outermost
// inward, joined by "!"), but built for hostile input where gitleaks
// trusts it: nothing is written to disk (zip and 7z, which need to seek,
// are read from the bytes in memory, where gitleaks copies them to a
// temporary file), and every archive is bounded as a whole, every level
// counted — the bytes expanded, the members read, the ratio of the bytes
// expanded to the archive's own size, the depth — so a bomb, a quine or
// an archive of a million members ends in a *LimitError instead of a full
// memory or a run that never ends. Member names are labels, never paths
// on disk: a "../" or an absolute name climbs nowhere.
//
// Compared with the standard library's archive/* and compress/* packages,
// which it uses through mholt/archives, it adds the recognising, the
// nesting and the bounds; compared with a scanner, it knows nothing of
// what is looked for in the members.
package unpack
