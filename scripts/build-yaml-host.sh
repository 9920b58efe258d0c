#!/usr/bin/env bash
# Builds the Pulumi YAML language host (pulumi-language-yaml) from its Go module, once per version, into
# a cache outside this repository, and prints the folder that holds the binary (put it first on PATH: the
# CLI finds a language host there). CI and test/deployed/65-yaml-example.test.ts use it for the YAML
# program of examples/yaml-consumer/. A user with the ordinary Pulumi install does not need it: the YAML
# host ships with the CLI.
#
#   bin=$(bash scripts/build-yaml-host.sh) && export PATH="$bin:$PATH"
#   bash scripts/build-yaml-host.sh --if-built   # prints the folder only when already built (else nothing)
#
# Cached: well under a second. Cold: the module graph comes from the Go module proxy and the time is
# printed on stderr (with empty Go caches on 2 cores: 99 s on an idle machine, 202 s beside other builds).
#
# What is built: github.com/pulumi/pulumi-yaml at $version with the pulumi sdk/pkg its go.mod pins, and a
# main of our own (a wrapper module, like the CLI's) instead of cmd/pulumi-language-yaml, for two reasons
# found with CLI v3.248.0 (see examples/yaml-consumer/README.md):
#   1. the released main loads packages with the plugin host of its own SDK (v3.206.0), which starts the
#      Node.js language host of a source-based component package with `-root=...`, a flag the v3.248.0
#      Node.js host no longer has ("flag provided but not defined: -root"); this main asks the engine's
#      schema loader instead (NewLanguageHost's useRPCLoader), so the CLI loads the package with its own hosts;
#   2. v1.25.0 has no `Link` RPC, which `pulumi package add` of CLI v3.248.0 calls after generating the
#      package declaration ("linking package: method Link not implemented"); for YAML there is nothing
#      to link (the program reads sdks/<name>/<name>-<version>.yaml), so this main answers with instructions.
set -euo pipefail
version="${PULUMI_YAML_VERSION:-v1.25.0}"
cache="${PULUMI_TOOLCHAIN_EXTRA_DIR:-$HOME/.cache/pulumi-toolchain-extra}"
dest="$cache/pulumi-language-yaml-$version"
bin="$dest/pulumi-language-yaml"

if [[ -x "$bin" ]]; then
  echo "$dest"
  exit 0
fi
[[ "${1:-}" == "--if-built" ]] && exit 0
command -v go >/dev/null 2>&1 || {
  echo "build-yaml-host.sh: no Go toolchain on PATH (Go >= 1.24 builds pulumi-yaml $version); or install Pulumi the ordinary way, which ships the YAML host" >&2
  exit 1
}

start=$(date +%s)
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.build-yaml-$version.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/go.mod" <<MOD
module proving-ground/pulumi-language-yaml

go 1.24

require github.com/pulumi/pulumi-yaml $version
MOD
cat >"$tmp/main.go" <<'GO'
// pulumi-language-yaml: the YAML language host of github.com/pulumi/pulumi-yaml, served as its own
// cmd/pulumi-language-yaml does, with packages loaded through the engine and a Link answer (see
// scripts/build-yaml-host.sh in proving-ground).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/pulumi/pulumi-yaml/pkg/server"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

type yamlHost struct {
	pulumirpc.LanguageRuntimeServer
}

// Link: a YAML program needs no SDK in its project; `pulumi package add` has already written the package
// declaration (sdks/<name>/<name>-<version>.yaml) that the host reads, and records the package in Pulumi.yaml.
func (yamlHost) Link(_ context.Context, req *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	text := "Use the package's resources in Pulumi.yaml by their type tokens:"
	for _, p := range req.GetPackages() {
		name := p.GetPackage().GetName()
		if pz := p.GetPackage().GetParameterization(); pz != nil {
			name = pz.GetName()
		}
		text += fmt.Sprintf("\n  type: %s:index:<Resource>", name)
	}
	return &pulumirpc.LinkResponse{ImportInstructions: text}, nil
}

func main() {
	var tracing, root, compiler string
	flag.StringVar(&tracing, "tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	flag.StringVar(&root, "root", "", "Root of the program execution")
	flag.StringVar(&compiler, "compiler", "", "[obsolete] Compiler to use to pre-process YAML")
	flag.Parse()
	args := flag.Args()
	logging.InitLogging(false, 0, false)
	cmdutil.InitTracing("pulumi-language-yaml", "pulumi-language-yaml", tracing)

	var engineAddress string
	var cancel chan bool
	if len(args) > 0 {
		engineAddress = args[0]
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		cancel = make(chan bool)
		go func() {
			<-ctx.Done()
			stop()
			close(cancel)
		}()
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, stop); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start health check host RPC server: %w", err))
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, yamlHost{server.NewLanguageHost(engineAddress, tracing, true /* useRPCLoader */)})
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}
GO
(
  cd "$tmp"
  # pulumi-yaml has no replace directives; the versions its go.mod pins are the ones `go mod tidy` keeps.
  GOFLAGS=-mod=mod go mod tidy >&2
  mkdir -p "$dest.partial"
  CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$dest.partial/pulumi-language-yaml" \
    -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=${version#v}" . >&2
)
rm -rf "$dest"
mv "$dest.partial" "$dest"
echo "build-yaml-host.sh: built pulumi-language-yaml $version in $(($(date +%s) - start))s into $dest" >&2
echo "$dest"
