// pulumi-language-nodejs for the local lab: a Node.js language host that the real Pulumi engine
// starts like the one Pulumi ships.
//
// Why it exists: the engine (github.com/pulumi/pulumi/pkg/v3) builds from Go modules here, but the
// Node.js language host module (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3)
// has local-path replace lines and is not served by the Go module proxy these machines reach, so it
// cannot be built from modules. This host does what the engine needs from one, written against the
// language.proto of sdk/v3 at the version in go.mod:
//
//   - Run: starts `node <program dir>/node_modules/@pulumi/pulumi/cmd/run` (the SDK's own program
//     runner, the same one Pulumi's host starts) with the monitor/engine addresses, project, stack,
//     dry-run and parallelism as flags, the stack config in PULUMI_CONFIG and
//     PULUMI_CONFIG_SECRET_KEYS, and PULUMI_NODEJS_TYPESCRIPT / PULUMI_NODEJS_TSCONFIG_PATH from the
//     runtime options of Pulumi.yaml. Exit code 32 (the SDK's "error already reported") is a bail.
//   - GetRequiredPackages / GetRequiredPlugins: the `pulumi` section of each package.json under
//     node_modules (resource plugins with name and version), so the engine knows which provider
//     plugins the program needs before it runs.
//   - GetPluginInfo, About, RuntimeOptionsPrompts, InstallDependencies (`npm install`).
//
// Everything else (code generation, packing, RunPlugin) answers Unimplemented: the lab never uses it.
// On startup it prints one line on stderr saying that it stands in for Pulumi's own host.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is set at build time (-ldflags -X main.version=...) to the engine's version.
var version = "3.248.0"

// bailExitCode is the Node SDK's nodeJSProcessExitedAfterLoggingUserActionableMessage: the program
// has already reported its error to the engine.
const bailExitCode = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func main() {
	engineAddress := ""
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "-") {
			engineAddress = a
		}
	}
	h := &host{engineAddress: engineAddress}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

// programDir is where the program lives: Info.ProgramDirectory, else Pwd.
func programDir(info *pulumirpc.ProgramInfo, pwd string) string {
	if info != nil && info.ProgramDirectory != "" {
		return info.ProgramDirectory
	}
	return pwd
}

// findUp returns the first dir/rel that exists, walking up from dir.
func findUp(dir, rel string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%s not found in %s or any parent; run `npm ci` in the project first", rel, dir)
		}
	}
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	dir := programDir(req.Info, req.Pwd)
	runner, err := findUp(dir, filepath.Join("node_modules", "@pulumi", "pulumi", "cmd", "run"))
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	entry := "."
	if req.Info != nil && req.Info.EntryPoint != "" {
		entry = req.Info.EntryPoint
	} else if req.Program != "" {
		entry = req.Program
	}
	args := []string{runner, "--monitor", req.MonitorAddress, "--project", req.Project, "--stack", req.Stack, "--pwd", req.Pwd}
	if h.engineAddress != "" {
		args = append(args, "--engine", h.engineAddress)
	}
	if req.Organization != "" {
		args = append(args, "--organization", req.Organization)
	}
	if req.Info != nil && req.Info.RootDirectory != "" {
		args = append(args, "--root-directory", req.Info.RootDirectory)
	}
	if req.DryRun {
		args = append(args, "--dry-run")
	}
	if req.Parallel > 0 {
		args = append(args, "--parallel", fmt.Sprint(req.Parallel))
	}
	args = append(args, entry)
	args = append(args, req.Args...)

	config, err := json.Marshal(req.Config)
	if err != nil {
		return nil, err
	}
	secretKeys := req.ConfigSecretKeys
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secrets, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secrets))
	// Pulumi.yaml `runtime.options.typescript` defaults to true, as in Pulumi's host.
	typescript := "true"
	if req.Info != nil && req.Info.Options != nil {
		if v, ok := req.Info.Options.Fields["typescript"]; ok {
			typescript = fmt.Sprint(v.GetBoolValue())
		}
		if v, ok := req.Info.Options.Fields["tsconfig"]; ok && v.GetStringValue() != "" {
			env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+v.GetStringValue())
		}
	}
	env = append(env, "PULUMI_NODEJS_TYPESCRIPT="+typescript)

	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = req.Pwd
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if status, ok := exit.Sys().(syscall.WaitStatus); ok && status.ExitStatus() == bailExitCode {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not start node: %v (is Node.js on PATH?)", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// pluginRef is the `pulumi` section of a provider package's package.json.
type pluginRef struct {
	Resource bool   `json:"resource"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Server   string `json:"server"`
}

// requiredPlugins reads node_modules/*/package.json and node_modules/@*/*/package.json.
func requiredPlugins(dir string) ([]*pulumirpc.PackageDependency, error) {
	modules, err := findUp(dir, "node_modules")
	if err != nil {
		return nil, err
	}
	var files []string
	for _, pattern := range []string{"*/package.json", "@*/*/package.json"} {
		m, err := filepath.Glob(filepath.Join(modules, pattern))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	seen := map[string]bool{}
	var deps []*pulumirpc.PackageDependency
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var pkg struct {
			Pulumi *pluginRef `json:"pulumi"`
		}
		if json.Unmarshal(data, &pkg) != nil || pkg.Pulumi == nil || !pkg.Pulumi.Resource || pkg.Pulumi.Name == "" {
			continue
		}
		v := strings.TrimPrefix(pkg.Pulumi.Version, "v")
		key := pkg.Pulumi.Name + "@" + v
		if seen[key] {
			continue
		}
		seen[key] = true
		deps = append(deps, &pulumirpc.PackageDependency{Kind: "resource", Name: pkg.Pulumi.Name, Version: "v" + v, Server: pkg.Pulumi.Server})
	}
	return deps, nil
}

func (h *host) GetRequiredPackages(ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	deps, err := requiredPlugins(programDir(req.Info, ""))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, nil
}

func (h *host) GetRequiredPlugins(ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	deps, err := requiredPlugins(programDir(req.Info, ""))
	if err != nil {
		return nil, err
	}
	plugins := make([]*pulumirpc.PluginDependency, 0, len(deps))
	for _, d := range deps {
		plugins = append(plugins, &pulumirpc.PluginDependency{Kind: d.Kind, Name: d.Name, Version: d.Version, Server: d.Server})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func (h *host) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *host) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node not found on PATH: %w", err)
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimSpace(string(out)),
		Metadata: map[string]string{"host": "macvlan-lab nodejs host (stands in for pulumi-language-nodejs)"}}, nil
}

func (h *host) RuntimeOptionsPrompts(ctx context.Context, _ *pulumirpc.RuntimeOptionsRequest) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// streamWriter forwards a child's output to an InstallDependencies stream.
type streamWriter struct {
	send   func(*pulumirpc.InstallDependenciesResponse) error
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	b := append([]byte(nil), p...)
	r := &pulumirpc.InstallDependenciesResponse{Stdout: b}
	if w.stderr {
		r = &pulumirpc.InstallDependenciesResponse{Stderr: b}
	}
	if err := w.send(r); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest, server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	dir := programDir(req.Info, req.Directory)
	cmd := exec.CommandContext(server.Context(), "npm", "install", "--no-audit", "--no-fund")
	cmd.Dir = dir
	cmd.Stdout = streamWriter{send: server.Send}
	cmd.Stderr = streamWriter{send: server.Send, stderr: true}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm install in %s: %w", dir, err)
	}
	return nil
}
