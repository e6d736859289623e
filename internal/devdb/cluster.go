package devdb

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"strconv"
	"strings"
)

// cluster is one line of pg_lsclusters: a PostgreSQL cluster managed by
// Debian's postgresql-common.
type cluster struct {
	version string
	name    string
	port    int
	online  bool
}

// url returns the URL of the cluster's postgres database on the loopback
// address.
func (c cluster) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// startSystemCluster looks for a cluster that pg_lsclusters lists and uses it:
// an online one that answers, or else a stopped one that it starts. It returns
// an empty URL and no error when there is no such cluster (or no
// postgresql-common at all), so the caller moves on to a private cluster.
func startSystemCluster(ctx context.Context, logger *slog.Logger) (string, error) {
	path, err := exec.LookPath("pg_lsclusters")
	if err != nil {
		logger.InfoContext(ctx, "devdb: pg_lsclusters not found, skipping system clusters")
		return "", nil
	}
	out, err := run(ctx, commandTimeout, path, "--no-header")
	if err != nil {
		return "", fmt.Errorf("devdb: list clusters: %w", err)
	}
	clusters := parseClusters(out)

	// An online cluster on another port than 5432 is as good as the system one.
	for _, c := range clusters {
		if !c.online || c.port == 5432 {
			continue
		}
		if err := probe(ctx, c.url()); err == nil {
			logger.InfoContext(ctx, "devdb: existing cluster answers", "cluster", c.version+"/"+c.name, "url", c.url())
			return c.url(), nil
		}
	}

	c, ok := pickDownCluster(clusters)
	if !ok {
		logger.InfoContext(ctx, "devdb: no stopped cluster to start", "clusters", len(clusters))
		return "", nil
	}

	// --skip-systemctl-redirect because CI and containers have no systemd;
	// pg_ctlcluster then starts the server itself, as the cluster's owner.
	_, startErr := run(ctx, readyTimeout+commandTimeout, "pg_ctlcluster", "--skip-systemctl-redirect", c.version, c.name, "start")
	if startErr != nil {
		// Another process may have started it a moment ago; that is success.
		if probe(ctx, c.url()) == nil {
			logger.InfoContext(ctx, "devdb: cluster was started by someone else", "cluster", c.version+"/"+c.name, "url", c.url())
			return c.url(), nil
		}
		return "", fmt.Errorf("devdb: start cluster %s/%s: %w", c.version, c.name, startErr)
	}
	if err := waitReady(ctx, c.url(), readyTimeout); err != nil {
		return "", fmt.Errorf("devdb: cluster %s/%s started but does not answer: %w", c.version, c.name, err)
	}
	logger.InfoContext(ctx, "devdb: started existing cluster", "cluster", c.version+"/"+c.name, "url", c.url())
	return c.url(), nil
}

// parseClusters reads the output of `pg_lsclusters --no-header`, whose columns
// are version, name, port, status, owner, data directory and log file. Lines it
// cannot read are skipped: the worst outcome is falling back to a private
// cluster.
func parseClusters(out string) []cluster {
	var clusters []cluster
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		port, err := strconv.Atoi(f[2])
		if err != nil {
			continue
		}
		// The status is "online", "down", or either with a suffix such as
		// ",recovery" or ",binaries_missing".
		status := f[3]
		if !strings.HasPrefix(status, "online") && !strings.HasPrefix(status, "down") {
			continue
		}
		if strings.Contains(status, "binaries_missing") {
			continue
		}
		clusters = append(clusters, cluster{
			version: f[0],
			name:    f[1],
			port:    port,
			online:  strings.HasPrefix(status, "online"),
		})
	}
	return clusters
}

// pickDownCluster chooses the stopped cluster to start: the one on 5432 if
// any, since that is what other tools expect, else the first listed.
func pickDownCluster(clusters []cluster) (cluster, bool) {
	var found []cluster
	for _, c := range clusters {
		if !c.online {
			found = append(found, c)
		}
	}
	if len(found) == 0 {
		return cluster{}, false
	}
	for _, c := range found {
		if c.port == 5432 {
			return c, true
		}
	}
	return found[0], true
}
