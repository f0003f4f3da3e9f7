#!/bin/sh
# Stand-in for a chat or status-page announcement: prints its arguments.
echo "[announce] $*"
