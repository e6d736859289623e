package devdb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// pgUser is the system user that runs a private cluster when we are root:
// initdb and postgres refuse to run as root.
const pgUser = "postgres"

// lockTimeout bounds the wait for another process that is creating or
// starting the same private cluster.
const lockTimeout = 2 * time.Minute

// binaries locates one installation of PostgreSQL's server programs.
type binaries struct {
	initdb  string
	pgCtl   string
	version string // the major version, such as "15"
}

// ensurePrivate finds the installed PostgreSQL, picks the per-user data
// directory and runs the private cluster there on privatePort.
func ensurePrivate(ctx context.Context, logger *slog.Logger) (string, error) {
	bin, err := findBinaries(ctx)
	if err != nil {
		return "", err
	}
	runUser, err := clusterUser(ctx, logger)
	if err != nil {
		return "", err
	}
	dataDir := chooseDataDir(ctx, logger, bin.version, runUser)
	return startPrivate(ctx, logger, bin, runUser, dataDir, privatePort)
}

// startPrivate runs a private cluster in dataDir on 127.0.0.1:port, creating
// it first if dataDir holds none, and returns its URL once it answers. A
// cluster already running there is reused. Commands run as runUser, or as the
// current user when runUser is empty.
//
// Port and directory are parameters, not constants, so that the cluster can be
// tried out beside the real one.
func startPrivate(ctx context.Context, logger *slog.Logger, bin binaries, runUser, dataDir string, port int) (string, error) {
	connURL := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)

	if err := prepareDataDir(dataDir, runUser); err != nil {
		return "", err
	}

	// Test binaries of several packages run at once; the lock keeps them from
	// running initdb or pg_ctl start on the same directory together.
	unlock, err := lockFile(ctx, dataDir+".lock", lockTimeout)
	if err != nil {
		return "", fmt.Errorf("devdb: lock private cluster: %w", err)
	}
	defer unlock()

	if probe(ctx, connURL) == nil {
		logger.InfoContext(ctx, "devdb: private cluster already running", "data_dir", dataDir, "url", connURL)
		return connURL, nil
	}

	if err := initCluster(ctx, logger, bin, runUser, dataDir); err != nil {
		return "", err
	}
	if err := writeSettings(dataDir, runUser, port); err != nil {
		return "", err
	}

	logFile := filepath.Join(dataDir, "postgres.log")
	// -w makes pg_ctl wait until the server accepts connections, and -t bounds
	// that wait.
	_, err = runAs(ctx, readyTimeout+commandTimeout, runUser, bin.pgCtl,
		"-D", dataDir, "-l", logFile, "-w", "-t", strconv.Itoa(int(readyTimeout/time.Second)), "start")
	if err != nil {
		return "", fmt.Errorf("devdb: start private cluster in %s: %w\n%s", dataDir, err, logTail(logFile))
	}
	if err := waitReady(ctx, connURL, readyTimeout); err != nil {
		return "", fmt.Errorf("devdb: private cluster in %s started but does not answer: %w\n%s", dataDir, err, logTail(logFile))
	}
	logger.InfoContext(ctx, "devdb: started private cluster", "data_dir", dataDir, "log_file", logFile, "url", connURL)
	return connURL, nil
}

// initCluster runs initdb in dataDir unless it already holds a cluster.
func initCluster(ctx context.Context, logger *slog.Logger, bin binaries, runUser, dataDir string) error {
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err == nil {
		logger.InfoContext(ctx, "devdb: reusing private cluster", "data_dir", dataDir)
		return nil
	}
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		return fmt.Errorf("devdb: read data directory: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("devdb: %s is not empty but holds no PostgreSQL cluster; remove it to let devdb create one", dataDir)
	}

	// Trust authentication is safe only because the server listens on the
	// loopback address and on a socket inside a 0700 directory. The superuser is
	// named postgres whoever runs it, so the URL is the same for everyone.
	// --no-sync: nothing in a dev cluster is worth waiting for the disk.
	_, err = runAs(ctx, commandTimeout, runUser, bin.initdb,
		"-D", dataDir, "--auth=trust", "--username=postgres",
		"--encoding=UTF8", "--no-locale", "--no-sync")
	if err != nil {
		return fmt.Errorf("devdb: create private cluster in %s: %w", dataDir, err)
	}

	// Our settings live in their own file, rewritten at every start, so the
	// port follows the caller and postgresql.conf stays initdb's.
	conf, err := os.OpenFile(filepath.Join(dataDir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("devdb: open postgresql.conf: %w", err)
	}
	_, err = conf.WriteString("\n# Added by wamux internal/devdb.\ninclude_if_exists = 'wamux.conf'\n")
	if cerr := conf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("devdb: write postgresql.conf: %w", err)
	}
	logger.InfoContext(ctx, "devdb: created private cluster", "data_dir", dataDir, "version", bin.version)
	return nil
}

// writeSettings writes wamux.conf, which postgresql.conf includes.
func writeSettings(dataDir, runUser string, port int) error {
	// A Unix socket path is limited to 107 bytes; past that the server would not
	// start, so go without a socket (clients use TCP anyway).
	socketDir := dataDir
	if len(filepath.Join(dataDir, ".s.PGSQL."+strconv.Itoa(port))) > 100 {
		socketDir = ""
	}
	settings := fmt.Sprintf(`# Written by wamux internal/devdb at every start: edits are lost.
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
# A development cluster holds nothing that must survive a power cut, so trade
# durability for speed: without fsync, tests that create databases run faster.
fsync = off
synchronous_commit = off
full_page_writes = off
`, port, strings.ReplaceAll(socketDir, "'", "''"))

	path := filepath.Join(dataDir, "wamux.conf")
	if err := os.WriteFile(path, []byte(settings), 0o600); err != nil {
		return fmt.Errorf("devdb: write %s: %w", path, err)
	}
	if err := chownTo(path, runUser); err != nil {
		return err
	}
	return nil
}

// prepareDataDir creates dataDir, and its parents, owned by runUser.
func prepareDataDir(dataDir, runUser string) error {
	if err := os.MkdirAll(filepath.Dir(dataDir), 0o755); err != nil {
		return fmt.Errorf("devdb: create %s: %w", filepath.Dir(dataDir), err)
	}
	if err := os.Mkdir(dataDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("devdb: create %s: %w", dataDir, err)
	}
	// PostgreSQL insists that its data directory belongs to the user running
	// it and is private to that user.
	if err := chownTo(dataDir, runUser); err != nil {
		return err
	}
	if err := os.Chmod(dataDir, 0o700); err != nil {
		return fmt.Errorf("devdb: chmod %s: %w", dataDir, err)
	}
	return nil
}

// chownTo gives path to runUser; with an empty runUser it does nothing.
func chownTo(path, runUser string) error {
	if runUser == "" {
		return nil
	}
	u, err := user.Lookup(runUser)
	if err != nil {
		return fmt.Errorf("devdb: look up user %s: %w", runUser, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return fmt.Errorf("devdb: uid of %s: %w", runUser, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return fmt.Errorf("devdb: gid of %s: %w", runUser, err)
	}
	if err := os.Chown(path, uid, gid); err != nil {
		return fmt.Errorf("devdb: chown %s: %w", path, err)
	}
	return nil
}

// clusterUser returns the user to run the private cluster as: empty (the
// current user) unless we are root, and then the postgres system user.
//
// Debian's PostgreSQL packages create that user, so it exists wherever the
// binaries came from them. Only binaries installed some other way leave it
// missing, and then we create it once, as a system user without a home or a
// login shell, which is what the packages would have done; that is simpler
// than inventing a user name of our own.
func clusterUser(ctx context.Context, logger *slog.Logger) (string, error) {
	if os.Geteuid() != 0 {
		return "", nil
	}
	if _, err := user.Lookup(pgUser); err == nil {
		return pgUser, nil
	} else if _, ok := errors.AsType[user.UnknownUserError](err); !ok {
		return "", fmt.Errorf("devdb: look up user %s: %w", pgUser, err)
	}
	if _, err := run(ctx, commandTimeout, "useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", pgUser); err != nil {
		return "", fmt.Errorf("devdb: create user %s: %w", pgUser, err)
	}
	logger.InfoContext(ctx, "devdb: created system user to run PostgreSQL", "user", pgUser)
	return pgUser, nil
}

// chooseDataDir returns the private cluster's data directory: pg<version>
// under the user cache directory, so that it survives reboots and is shared by
// all checkouts, or under /tmp/wamux-pg-<uid> when there is no cache directory
// or runUser could not reach it (root's home is usually closed to others, and
// opening it up is not ours to do).
func chooseDataDir(ctx context.Context, logger *slog.Logger, version, runUser string) string {
	name := "pg" + version
	fallback := filepath.Join("/tmp", fmt.Sprintf("wamux-pg-%d", os.Getuid()), name)

	cache, err := os.UserCacheDir()
	if err != nil {
		logger.InfoContext(ctx, "devdb: no user cache directory, using the temporary directory", "data_dir", fallback, "error", err)
		return fallback
	}
	dir := filepath.Join(cache, "wamux", name)
	if runUser != "" {
		// The nearest existing ancestor decides: we create the rest with mode
		// 0755.
		existing := filepath.Dir(dir)
		for {
			if _, err := os.Stat(existing); err == nil || existing == filepath.Dir(existing) {
				break
			}
			existing = filepath.Dir(existing)
		}
		if _, err := runAs(ctx, commandTimeout, runUser, "test", "-x", existing); err != nil {
			logger.InfoContext(ctx, "devdb: cache directory not reachable by the cluster user, using the temporary directory",
				"user", runUser, "cache_dir", existing, "data_dir", fallback)
			return fallback
		}
	}
	logger.InfoContext(ctx, "devdb: private cluster lives in the user cache directory", "data_dir", dir)
	return dir
}

// findBinaries locates initdb and pg_ctl: the newest version under
// /usr/lib/postgresql (Debian's layout, which keeps them off PATH), or else
// the ones on PATH.
func findBinaries(ctx context.Context) (binaries, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	dir := newestBinDir(matches)
	if dir == "" {
		initdb, err := exec.LookPath("initdb")
		if err != nil {
			return binaries{}, errors.New("devdb: no PostgreSQL server binaries: neither /usr/lib/postgresql/*/bin/initdb nor initdb on PATH; install PostgreSQL or set DATABASE_URL")
		}
		// pg_ctl sits beside the real initdb, which PATH may reach by a symlink.
		if real, err := filepath.EvalSymlinks(initdb); err == nil {
			initdb = real
		}
		dir = filepath.Dir(initdb)
	}

	bin := binaries{
		initdb: filepath.Join(dir, "initdb"),
		pgCtl:  filepath.Join(dir, "pg_ctl"),
	}
	if _, err := os.Stat(bin.pgCtl); err != nil {
		return binaries{}, fmt.Errorf("devdb: pg_ctl not found beside %s: %w", bin.initdb, err)
	}
	out, err := run(ctx, commandTimeout, bin.initdb, "--version")
	if err != nil {
		return binaries{}, fmt.Errorf("devdb: initdb version: %w", err)
	}
	m := versionRE.FindStringSubmatch(out)
	if m == nil {
		return binaries{}, fmt.Errorf("devdb: cannot read the version in %q", strings.TrimSpace(out))
	}
	bin.version = m[1]
	return bin, nil
}

// versionRE reads the major version from `initdb --version`, which prints
// such as "initdb (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)".
var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// newestBinDir returns the bin directory of the newest version among paths of
// the form /usr/lib/postgresql/<version>/bin/initdb, or "" if there are none.
// Versions compare as numbers, so 10 is newer than 9.6.
func newestBinDir(paths []string) string {
	type candidate struct {
		dir     string
		version []int
	}
	var cs []candidate
	for _, p := range paths {
		dir := filepath.Dir(p)
		var version []int
		for part := range strings.SplitSeq(filepath.Base(filepath.Dir(dir)), ".") {
			n, err := strconv.Atoi(part)
			if err != nil {
				version = nil
				break
			}
			version = append(version, n)
		}
		if version == nil {
			continue
		}
		cs = append(cs, candidate{dir: dir, version: version})
	}
	if len(cs) == 0 {
		return ""
	}
	newest := slices.MaxFunc(cs, func(a, b candidate) int { return slices.Compare(a.version, b.version) })
	return newest.dir
}

// logTail returns the last lines of the server log, for error messages: the
// reason a server did not start is written there, not to pg_ctl's output.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return path + ":\n" + strings.Join(lines, "\n")
}
