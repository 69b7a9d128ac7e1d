// Reference programs the stand-in tests run to show upstream's behaviour with the real libraries:
// golang.org/x/crypto at the version pulumi-command v1.2.1 pins (provider/go.mod), and Go's own
// net/http and bufio. Written for these tests; no upstream code is copied.
module macvlan-lab/goref

go 1.25.0

require golang.org/x/crypto v0.48.0

require golang.org/x/sys v0.41.0 // indirect
