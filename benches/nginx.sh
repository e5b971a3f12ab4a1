# Sourced by the benchmark scripts: a static nginx serving $work/www on loopback
# addresses, with ETag/304, no access log, its files under $work/nginx.

# nginx_start WORK WORKERS ADDR... — write the configuration, stop an nginx a previous
# run left, and start one listening on each ADDR (host:port), serving WORK/www.
nginx_start() {
  local work=$1 workers=$2 ngx="$1/nginx" listen="" addr
  shift 2
  for addr in "$@"; do listen+="    listen $addr;"$'\n'; done
  mkdir -p "$ngx/logs" "$ngx/tmp"
  cat > "$ngx/nginx.conf" <<CONF
worker_processes $workers;
pid $ngx/nginx.pid;
error_log $ngx/logs/error.log warn;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on;
    etag on;
    keepalive_requests 100000;
    client_body_temp_path $ngx/tmp; proxy_temp_path $ngx/tmp; fastcgi_temp_path $ngx/tmp;
    uwsgi_temp_path $ngx/tmp; scgi_temp_path $ngx/tmp;
    server {
$listen
        root $work/www;
    }
}
CONF
  if [ -f "$ngx/nginx.pid" ]; then
    nginx_stop "$work"
    sleep 1
  fi
  nginx -c "$ngx/nginx.conf" -p "$ngx" -e "$ngx/logs/error.log"
}

# nginx_stop WORK — stop the nginx nginx_start started there, if it runs.
nginx_stop() {
  local pidfile="$1/nginx/nginx.pid"
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  fi
}
