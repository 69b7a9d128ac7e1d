//go:build tools

// Package engine pins the Pulumi CLI (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) in this module's
// go.mod and go.sum, so build.sh builds it with `go build` at exactly the versions recorded here.
package engine

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
