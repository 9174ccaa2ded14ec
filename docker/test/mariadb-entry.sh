#!/usr/bin/env bash
# Initialises the data folder on first start (database, user, root password from the environment), then
# runs mariadbd in the foreground with the arguments given (e.g. --port=3307).
set -euo pipefail
DATADIR=/var/lib/mysql
# Debian's package already made a system database at install time; the marker says our users exist.
if [ ! -f "$DATADIR/.mdhub-initialised" ]; then
  [ -d "$DATADIR/mysql" ] || mariadb-install-db --user=mysql --datadir="$DATADIR" --auth-root-authentication-method=normal >/dev/null
  mariadbd --user=mysql --datadir="$DATADIR" --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  for _ in $(seq 1 60); do mariadb --socket=/run/mysqld/init.sock -uroot -e 'select 1' >/dev/null 2>&1 && break; sleep 0.5; done
  mariadb --socket=/run/mysqld/init.sock -uroot <<SQL
CREATE DATABASE IF NOT EXISTS \`${MARIADB_DATABASE}\`;
DROP USER IF EXISTS ''@'localhost', ''@'$(hostname)';
CREATE USER IF NOT EXISTS '${MARIADB_USER}'@'%' IDENTIFIED BY '${MARIADB_PASSWORD}';
CREATE USER IF NOT EXISTS '${MARIADB_USER}'@'localhost' IDENTIFIED BY '${MARIADB_PASSWORD}';
GRANT ALL ON \`${MARIADB_DATABASE}\`.* TO '${MARIADB_USER}'@'%';
GRANT ALL ON \`${MARIADB_DATABASE}\`.* TO '${MARIADB_USER}'@'localhost';
ALTER USER 'root'@'localhost' IDENTIFIED BY '${MARIADB_ROOT_PASSWORD}';
FLUSH PRIVILEGES;
SQL
  kill "$pid"
  wait "$pid" || true
  touch "$DATADIR/.mdhub-initialised"
fi
exec mariadbd --user=mysql --datadir="$DATADIR" --bind-address=127.0.0.1 "$@"
