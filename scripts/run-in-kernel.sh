#!/bin/bash
# run-in-kernel.sh - run a host command inside a throw-away Debian Linux kernel under QEMU.
# bpfkit's kernel-tier tests run through it (scripts/run-tests.mjs boots one guest per kernel).
#
# Usage: run-in-kernel.sh [--rw DIR]... [--] COMMAND [ARGS...]
#
# The guest sees the host's whole root filesystem read-only (9p) with a tmpfs overlay on top,
# so every path works and writes succeed but are thrown away when the VM powers off.
# Directories given with --rw (or RIK_RW="dir1:dir2") are shared read-write: writes there
# land on the host. The command runs as root in the host's cwd with the host's exported
# environment plus RIK_KERNEL_RELEASE (the guest's `uname -r`); proc, sys, dev, devpts, bpffs,
# tracefs, debugfs, securityfs and cgroup2 are mounted. Its stdout/stderr are streamed to ours
# and its exit status is ours. Stdin is /dev/null. Exit status 125 = the VM failed (no status came back), 124 = RIK_TIMEOUT.
# Needs root (apt-get, qemu). First run installs qemu-system-x86 (and xz-utils, zstd if missing) with
# apt-get, and downloads+unpacks busybox-static and the Debian kernel into RIK_CACHE.
#
# Environment knobs:
#   RIK_CACHE    cache dir for kernel, busybox, initramfs  (default <repo>/.cache/run-in-kernel, so
#                CI caches it with the project's other ignored build state)
#   RIK_MEM      guest memory in MiB                        (default 2048)
#   RIK_CPUS     guest vCPUs                                (default: number of host cpus)
#   RIK_TIMEOUT  seconds before the VM is killed            (default 900)
#   RIK_ACCEL    auto | tcg | kvm   (auto = kvm only with a real kvm_intel/kvm_amd module)
#   RIK_CPU_MODEL  TCG cpu model                            (default max)
#   RIK_KERNEL   Debian kernel package or metapackage       (default linux-image-amd64, i.e. 6.1
#                on bookworm; linux-image-6.12-amd64 gives 6.12). A metapackage is resolved once
#                and remembered in RIK_CACHE/resolved.NAME; delete that file to pick up a newer one.
#   RIK_VERBOSE  1 = print the guest's kernel log (dmesg) and timings to stderr afterwards
#   RIK_KEEP     1 = keep the per-run dir (console.log, dmesg, cmd script) and print its path
set -euo pipefail

CACHE=${RIK_CACHE:-$(cd "$(dirname "$0")/.." && pwd)/.cache/run-in-kernel}
MEM=${RIK_MEM:-2048}
CPUS=${RIK_CPUS:-$(nproc)}
TIMEOUT=${RIK_TIMEOUT:-900}
ACCEL=${RIK_ACCEL:-auto}
VERBOSE=${RIK_VERBOSE:-0}

RW_DIRS=()
[ -n "${RIK_RW:-}" ] && IFS=: read -r -a RW_DIRS <<<"$RIK_RW"
while [ $# -gt 0 ]; do
	case "$1" in
	--rw) RW_DIRS+=("$2"); shift 2 ;;
	--rw=*) RW_DIRS+=("${1#--rw=}"); shift ;;
	--) shift; break ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--rw DIR]... [--] COMMAND [ARGS...]" >&2; exit 2; }

log() { [ "$VERBOSE" = 1 ] && echo "run-in-kernel: $*" >&2 || true; }
die() { echo "run-in-kernel: $*" >&2; exit 125; }

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"

# ---------------------------------------------------------------- setup (idempotent, locked)
apt_lists_ok() { apt-cache show linux-image-amd64 >/dev/null 2>&1; }
APT_UPDATED=0
apt_update() { [ $APT_UPDATED = 1 ] && return 1; APT_UPDATED=1; timeout 300 apt-get update -q >/dev/null 2>&1; }
ensure_apt_lists() { apt_lists_ok || apt_update || die "apt-get update failed"; }
# run an apt command; if it fails (stale package lists), refresh the lists once and retry
apt_retry() { "$@" || { apt_update && "$@"; }; }

# like the kernel's scripts/extract-vmlinux: find the compressed payload inside the bzImage
extract_vmlinux() {
	local img=$1 out=$2 off magic tool
	for magic in '\xfd7zXZ\x00:xz' '\x28\xb5\x2f\xfd:zstd' '\x1f\x8b\x08:gzip'; do
		tool=${magic##*:}; command -v "$tool" >/dev/null || continue
		for off in $(LC_ALL=C grep -obUaP "${magic%:*}" "$img" | cut -d: -f1); do
			tail -c +$((off + 1)) "$img" | "$tool" -dc >"$out.tmp" 2>/dev/null
			if [ "$(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
				mv "$out.tmp" "$out"; return 0
			fi
		done
	done
	rm -f "$out.tmp"; return 1
}

setup() {
	flock 9
	rm -rf "$CACHE"/tmp.* # left over by an interrupted setup
	# 1. qemu (installed as a package; pulls ~30 small libraries, no recommends)
	local need=()
	command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
	command -v xz >/dev/null 2>&1 || need+=(xz-utils)
	command -v zstd >/dev/null 2>&1 || need+=(zstd)
	if [ ${#need[@]} -gt 0 ]; then
		ensure_apt_lists
		echo "run-in-kernel: installing ${need[*]}" >&2
		DEBIAN_FRONTEND=noninteractive apt_retry timeout 600 apt-get install -y -q --no-install-recommends \
			"${need[@]}" >"$CACHE/apt-install.log" 2>&1 || { tail -20 "$CACHE/apt-install.log" >&2; die "apt-get install failed"; }
	fi
	# 2. static busybox for the initramfs (downloaded and unpacked, not installed)
	if [ ! -x "$CACHE/busybox" ]; then
		ensure_apt_lists
		local t; t=$(mktemp -d "$CACHE/tmp.XXXXXX")
		(cd "$t" && apt_retry timeout 300 apt-get download -q busybox-static >/dev/null 2>&1) || die "apt-get download busybox-static failed"
		dpkg-deb -x "$t"/busybox-static_*.deb "$t/x"
		cp "$t/x/bin/busybox" "$CACHE/busybox.new" && mv "$CACHE/busybox.new" "$CACHE/busybox"
		basename "$t"/busybox-static_*.deb >"$CACHE/busybox.pkg"
		rm -rf "$t"
	fi
	# 3. the Debian kernel image, unpacked (not installed: nothing goes to /boot)
	local req=${RIK_KERNEL:-${RIK_KERNEL_PKG:-linux-image-amd64}} pkg=
	[ -s "$CACHE/resolved.$req" ] && pkg=$(cat "$CACHE/resolved.$req")
	if [ -z "$pkg" ]; then
		ensure_apt_lists
		pkg=$(apt-cache depends "$req" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
		pkg=${pkg:-$req}
	fi
	if [ ! -d "$CACHE/$pkg/boot" ]; then
		ensure_apt_lists
		echo "run-in-kernel: downloading $pkg" >&2
		local t; t=$(mktemp -d "$CACHE/tmp.XXXXXX")
		(cd "$t" && apt_retry timeout 600 apt-get download -q "$pkg" >/dev/null 2>&1) || die "apt-get download $pkg failed"
		dpkg-deb -x "$t"/"$pkg"_*.deb "$t/x"
		basename "$t"/"$pkg"_*.deb >"$t/x/deb-name"
		local kver; kver=$(ls "$t/x/lib/modules")
		# modules.dep (the package makes it in its postinst); also lets modprobe work in the guest
		"$CACHE/busybox" depmod -b "$t/x" "$kver"
		rm -f "$t"/*.deb
		mv "$t/x" "$CACHE/$pkg"
		rm -rf "$t"
	fi
	echo "$pkg" >"$CACHE/resolved.$req"
	KDIR=$CACHE/$pkg
	KVER=$(ls "$KDIR/lib/modules")
	KERNEL=$KDIR/boot/vmlinuz-$KVER
	# Under TCG, unpacking the compressed bzImage costs ~2 s per boot; the uncompressed
	# vmlinux ELF boots directly through its PVH entry point (Debian sets CONFIG_PVH=y).
	if [ ! -e "$KDIR/boot/vmlinux-$KVER" ] && [ ! -e "$KDIR/boot/no-vmlinux" ]; then
		extract_vmlinux "$KERNEL" "$KDIR/boot/vmlinux-$KVER" || touch "$KDIR/boot/no-vmlinux"
	fi
	[ -e "$KDIR/boot/vmlinux-$KVER" ] && KERNEL=$KDIR/boot/vmlinux-$KVER
	# 4. initramfs: static busybox + the modules for virtio-pci/9p/overlay (those not built in),
	#    uncompressed, in load order + /init. Rebuilt whenever one of its inputs changes.
	local key; key=$( { printf '%s\n' "$KVER"; init_script; sha256sum "$CACHE/busybox"; } | sha256sum | cut -c1-16)
	INITRD=$CACHE/initramfs-$KVER-$key.cpio.gz
	if [ ! -s "$INITRD" ]; then
		local t; t=$(mktemp -d "$CACHE/tmp.XXXXXX")
		mkdir -p "$t/root/bin" "$t/root/lib/modules/$KVER"
		cp "$CACHE/busybox" "$t/root/bin/busybox"
		init_script >"$t/root/init"; chmod 755 "$t/root/init"
		local moddir=$KDIR/lib/modules/$KVER m
		MOD_ORDER=(); declare -gA MOD_SEEN=()
		for m in $INITRAMFS_MODULES; do add_module "$moddir" "$m"; done
		for m in "${MOD_ORDER[@]}"; do
			local out=$t/root/lib/modules/$KVER/${m%.ko*}.ko
			mkdir -p "$(dirname "$out")"
			case "$m" in
			*.ko.xz) xz -dc "$moddir/$m" >"$out" ;;
			*.ko.zst) zstd -qdc "$moddir/$m" >"$out" ;;
			*.ko.gz) gzip -dc "$moddir/$m" >"$out" ;;
			*) cp "$moddir/$m" "$out" ;;
			esac
			echo "${m%.ko*}.ko" >>"$t/root/modules.order"
		done
		touch "$t/root/modules.order"
		rm -f "$CACHE"/initramfs-"$KVER"-*.cpio.gz # outdated ones
		(cd "$t/root" && find . | "$CACHE/busybox" cpio -o -H newc 2>/dev/null | gzip -1 >"$t/initrd") && mv "$t/initrd" "$INITRD"
		rm -rf "$t"
	fi
	flock -u 9
}

# what the guest needs before it can mount the host (dependencies are added from modules.dep)
INITRAMFS_MODULES="virtio_pci 9pnet_virtio 9p overlay"

# add_module MODDIR NAME_OR_PATH: append it and its dependencies (first) to MOD_ORDER,
# unless it is built into the kernel
add_module() {
	local moddir=$1 m=$2 line dep
	if [[ $m != */* ]]; then
		local re=${m//[-_]/[-_]}
		line=$(grep -m1 -E "^([^:]*/)?${re}\.ko(\.(xz|zst|gz))?:" "$moddir/modules.dep" || true)
		if [ -z "$line" ]; then
			grep -qE "/${re}\.ko\$" "$moddir/modules.builtin" && return 0
			die "kernel module $m not found"
		fi
		m=${line%%:*}
	else
		line=$(awk -v m="$m:" '$1 == m {print; exit}' "$moddir/modules.dep")
	fi
	[ -n "${MOD_SEEN[$m]:-}" ] && return 0
	MOD_SEEN[$m]=1
	for dep in ${line#*:}; do add_module "$moddir" "$dep"; done
	MOD_ORDER+=("$m")
}

init_script() {
	cat <<'EOF'
#!/bin/busybox sh
# PID 1 of the run-in-kernel guest
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
while read -r m; do insmod "/lib/modules/$(uname -r)/$m" || echo "init: insmod $m failed"; done </modules.order
mkdir -p /x /lower /upper /newroot
fail() { echo "init: $*"; dmesg | tail -30; poweroff -f; }
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 rikxchg /x || fail "cannot mount exchange dir"
. /x/config
# host root, read-only, with a tmpfs overlay so the guest can write anywhere (discarded at exit)
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /lower || fail "cannot mount host root"
mount -t tmpfs -o mode=755 tmpfs /upper && mkdir -p /upper/u /upper/w
R=/newroot
mount -t overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w overlay $R || fail "cannot mount overlay"
mount -t proc proc $R/proc
mount -t sysfs sys $R/sys
mount -t devtmpfs dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o ptmxmode=666 devpts $R/dev/pts
mount -t tmpfs tmpfs $R/dev/shm
mount -t securityfs securityfs $R/sys/kernel/security 2>/dev/null
mount -t bpf bpf $R/sys/fs/bpf
mount -t debugfs debugfs $R/sys/kernel/debug
mount -t tracefs tracefs $R/sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup 2>/dev/null
mount -t tmpfs tmpfs $R/run
# kernel modules of the guest kernel, for modprobe inside the guest
mkdir -p $R/lib/modules/$(uname -r) && mount --bind /lower$RIK_MODDIR $R/lib/modules/$(uname -r)
mkdir -p $R/run/rik && mount --bind /x $R/run/rik
i=0
while [ $i -lt $RIK_NRW ]; do
	eval d=\$RIK_RW_$i
	mkdir -p "$R$d" && mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 rikrw$i "$R$d" || fail "cannot mount rw dir $d"
	i=$((i+1))
done
ip link set lo up 2>/dev/null
hostname rik-guest
stty -F /dev/ttyS1 raw -echo; stty -F /dev/ttyS2 raw -echo
# the command's stdout/stderr are pipes (as usual for a test runner), relayed to ttyS1/ttyS2
mkfifo /tmp/o /tmp/e
cat /tmp/o >/dev/ttyS1 & p1=$!
cat /tmp/e >/dev/ttyS2 & p2=$!
echo "T_cmd_start $(cut -d' ' -f1 /proc/uptime)" >/x/times
chroot $R /bin/bash /run/rik/cmd.bash </dev/null >/tmp/o 2>/tmp/e
rc=$?
echo "T_cmd_end $(cut -d' ' -f1 /proc/uptime)" >>/x/times
# the relays end when every writer is gone; give leftover background writers 3s
n=0
while [ $n -lt 30 ] && { kill -0 $p1 || kill -0 $p2; } 2>/dev/null; do sleep 0.1; n=$((n+1)); done
kill $p1 $p2 2>/dev/null
dmesg >/x/dmesg
echo $rc >/x/rc
sync
poweroff -f
EOF
}

setup

# ---------------------------------------------------------------- accelerator
if [ "$ACCEL" = auto ]; then
	ACCEL=tcg
	# /dev/kvm alone is not enough: e.g. a PVM (kvm_pvm) host only runs PVM-enlightened guests.
	if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then ACCEL=kvm; fi
fi
case "$ACCEL" in
kvm) ACCEL_ARGS=(-accel kvm -cpu host) ;;
tcg) ACCEL_ARGS=(-accel tcg,thread=multi -cpu "${RIK_CPU_MODEL:-max}") ;;
*) die "bad RIK_ACCEL=$ACCEL" ;;
esac

# ---------------------------------------------------------------- per-run exchange dir
mkdir -p "$CACHE/runs"
find "$CACHE/runs" -mindepth 1 -maxdepth 1 -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
D=$(mktemp -d "$CACHE/runs/run.XXXXXX")
QPID=
RPIDS=()
cleanup() {
	[ -n "$QPID" ] && kill "$QPID" 2>/dev/null || true
	for p in "${RPIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	if [ "${RIK_KEEP:-0}" = 1 ]; then echo "run-in-kernel: run dir kept: $D" >&2; else rm -rf "$D"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

{
	echo "RIK_MODDIR='${KDIR}/lib/modules/${KVER}'"
	echo "RIK_NRW=${#RW_DIRS[@]}"
	i=0
	for d in "${RW_DIRS[@]}"; do
		d=$(realpath -- "$d"); [ -d "$d" ] || die "--rw $d: not a directory"
		printf 'RIK_RW_%d=%q\n' $i "$d"
		i=$((i + 1))
	done
} >"$D/config"
{
	# the host environment (bash syntax; the guest starts this file with the host's /bin/bash)
	export -p | grep -vE '^declare -x (SHLVL|PWD|OLDPWD|_)='
	printf 'export RIK_KERNEL_RELEASE=%q\n' "$KVER"
	printf 'cd %q 2>/dev/null || cd /\n' "$PWD"
	printf 'exec'; printf ' %q' "$@"; printf '\n'
} >"$D/cmd.bash"

mkfifo "$D/stdout" "$D/stderr"
cat "$D/stdout" & RPIDS+=($!)
cat "$D/stderr" >&2 & RPIDS+=($!)

VIRTFS=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$D,mount_tag=rikxchg,security_model=none,multidevs=remap")
i=0
for d in "${RW_DIRS[@]}"; do
	VIRTFS+=(-virtfs "local,path=$(realpath -- "$d"),mount_tag=rikrw$i,security_model=none,multidevs=remap")
	i=$((i + 1))
done

log "kernel $KVER accel $ACCEL cpus $CPUS mem ${MEM}M"
set +e
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 \
	-nodefaults -no-user-config -display none -monitor none -no-reboot \
	"${ACCEL_ARGS[@]}" -smp "$CPUS" -m "$MEM" \
	-bios /usr/share/qemu/qboot.rom \
	-kernel "$KERNEL" -initrd "$INITRD" \
	-append "console=ttyS0 quiet loglevel=4 panic=-1 mitigations=off nokaslr tsc=reliable" \
	-serial "file:$D/console.log" \
	-chardev "file,id=rikout,path=$D/stdout" -serial chardev:rikout \
	-chardev "file,id=rikerr,path=$D/stderr" -serial chardev:rikerr \
	"${VIRTFS[@]}" </dev/null &
QPID=$!
wait $QPID
qrc=$?
QPID=
set -e
# the readers end by themselves once qemu closed the fifos; if qemu never opened them, stop them
for p in "${RPIDS[@]}"; do
	for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill "$p" 2>/dev/null || true
done
RPIDS=()

if [ "$VERBOSE" = 1 ]; then
	echo "----- guest kernel log -----" >&2
	if [ -s "$D/dmesg" ]; then cat "$D/dmesg" >&2; else cat "$D/console.log" >&2; fi
	[ -f "$D/times" ] && cat "$D/times" >&2
fi
if [ -s "$D/rc" ]; then
	exit "$(cat "$D/rc")"
fi
if [ $qrc = 124 ] || [ $qrc = 137 ]; then
	echo "run-in-kernel: timed out after ${TIMEOUT}s" >&2; tail -20 "$D/console.log" >&2; exit 124
fi
echo "run-in-kernel: VM ended (qemu rc=$qrc) without an exit status; console tail:" >&2
grep -A40 -m1 -E 'Kernel panic|BUG:|init: ' "$D/console.log" >&2 || tail -40 "$D/console.log" >&2
exit 125
