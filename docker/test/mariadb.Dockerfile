# A MariaDB image for the compose test (no image can be pulled here): Debian's mariadb-server on the local
# Built with docker/test as its context: docker build -f docker/test/mariadb.Dockerfile docker/test
# test base, initialised from MARIADB_DATABASE / MARIADB_USER / MARIADB_PASSWORD like the official image.
ARG BASE=mdhub-test-base:bookworm
FROM ${BASE}
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null \
    && rm -rf /var/lib/apt/lists/* && mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
COPY mariadb-entry.sh /usr/local/bin/mariadb-entry.sh
ENTRYPOINT ["bash", "/usr/local/bin/mariadb-entry.sh"]
