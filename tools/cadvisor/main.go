// cAdvisor for the local images of proving-ground (scripts/build-go-tool.sh cadvisor): a small main modelled
// on upstream cmd/cadvisor.go, because the module that holds that main (github.com/google/cadvisor/cmd) is
// not served by the Go module proxy here (404 at every version). Built against the v0.61 modules:
// github.com/google/cadvisor (the docker plugin) and github.com/google/cadvisor/lib (manager, metrics).
// It serves /metrics (the container and machine collectors) and /healthz, with the flags the stack's
// cadvisorSpec passes (--docker_only, --housekeeping_interval, --port); no web UI, no /api.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	_ "github.com/google/cadvisor/container/docker/install" // registers the "docker" plugin

	"github.com/google/cadvisor/lib/cache/memory"
	"github.com/google/cadvisor/lib/container"
	"github.com/google/cadvisor/lib/manager"
	"github.com/google/cadvisor/lib/metrics"
	info "github.com/google/cadvisor/lib/model"
	"github.com/google/cadvisor/lib/utils/sysfs"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

var (
	argIP              = flag.String("listen_ip", "", "IP to listen on, defaults to all IPs")
	argPort            = flag.Int("port", 8080, "port to listen")
	prometheusEndpoint = flag.String("prometheus_endpoint", "/metrics", "Endpoint to expose Prometheus metrics on")
	storageDuration    = flag.Duration("storage_duration", 2*time.Minute, "How long to keep data stored")
	storeLabels        = flag.Bool("store_container_labels", true, "convert container labels/env into prometheus labels")
	whitelistedLabels  = flag.String("whitelisted_container_labels", "", "labels kept when store_container_labels=false")
	envMetadataWL      = flag.String("env_metadata_whitelist", "", "env var prefixes to collect")
	rawCgroupPrefixWL  = flag.String("raw_cgroup_prefix_whitelist", "", "cgroup prefixes collected even with --docker_only")

	ignoreMetrics = container.MetricSet{
		container.MemoryNumaMetrics: {}, container.NetworkTcpUsageMetrics: {}, container.NetworkUdpUsageMetrics: {},
		container.NetworkAdvancedTcpUsageMetrics: {}, container.ProcessSchedulerMetrics: {}, container.ProcessMetrics: {},
		container.HugetlbUsageMetrics: {}, container.ReferencedMemoryMetrics: {}, container.CPUTopologyMetrics: {},
		container.ResctrlMetrics: {}, container.CPUSetMetrics: {},
	}
	enableMetrics = container.MetricSet{}
)

func init() {
	flag.Var(&ignoreMetrics, "disable_metrics", "comma-separated list of metrics to disable")
	flag.Var(&enableMetrics, "enable_metrics", "comma-separated list of metrics to enable (overrides disable_metrics)")
}

func main() {
	klog.InitFlags(nil)
	defer klog.Flush()
	flag.Parse()

	included := container.AllMetrics.Difference(ignoreMetrics)
	if len(enableMetrics) > 0 {
		included = enableMetrics
	}

	cache := memory.New(*storageDuration, nil)
	m, err := manager.New(cache, sysfs.NewRealSysFs(), manager.HousekeepingConfigFlags, included,
		strings.Split(*rawCgroupPrefixWL, ","), strings.Split(*envMetadataWL, ","), "", 0)
	if err != nil {
		klog.Fatalf("Failed to create a manager: %v", err)
	}
	// Start registers the raw cgroup factory itself and initializes the registered plugins (docker).
	if err := m.Start(); err != nil {
		klog.Fatalf("Failed to start manager: %v", err)
	}

	labelFunc := metrics.DefaultContainerLabels
	if !*storeLabels {
		labelFunc = metrics.BaseContainerLabels(strings.Split(*whitelistedLabels, ","))
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		metrics.NewPrometheusCollector(m, labelFunc, included, clock.RealClock{},
			info.RequestOptions{IdType: info.TypeName, Count: 1, Recursive: true}),
		metrics.NewPrometheusMachineCollector(m, included),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)

	mux := http.NewServeMux()
	mux.Handle(*prometheusEndpoint, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})

	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-c
		_ = m.Stop()
		klog.Infof("Exiting given signal: %v", sig)
		os.Exit(0)
	}()

	addr := fmt.Sprintf("%s:%d", *argIP, *argPort)
	klog.Infof("Starting cAdvisor (lib v0.61) on %s", addr)
	klog.Fatal(http.ListenAndServe(addr, mux))
}
