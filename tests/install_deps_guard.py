# Fails when the build used something that scripts/install-deps.sh would not install on a fresh
# Debian 12 machine.
#
# Usage: /usr/bin/python3 install_deps_guard.py SOURCE_DIR BUILD_DIR BINARY [BINARY ...]
#
# What the build used: every header a compile read (the compiler's depfiles, *.o.d, in BUILD_DIR),
# every library a link line names by path (link.txt) and every shared library the BINARYs load
# (ldd). Each file outside SOURCE_DIR and BUILD_DIR is mapped to the Debian package that owns it
# (dpkg's file lists). What the script installs: the packages `install-deps.sh --print` names (with
# VIGIL_TEST_DEPS=1) and everything they pull in through Depends and Pre-Depends (recommends are
# never installed), plus the packages every minimal Debian root has (Essential or Priority
# required). A package outside that set, or a file no package owns, is named with the file that
# needed it; the exit status is then 1.
#
# Debian's own python3 runs this; it needs dpkg-query and ldd (libc-bin), both in every root.
import glob
import os
import re
import subprocess
import sys


def installed_packages():
    """Returns {name: fields} for every installed package and {virtual name: [providers]}."""
    fmt = "${db:Status-Abbrev}\\t${Package}\\t${Essential}\\t${Priority}\\t${Depends}\\t" \
          "${Pre-Depends}\\t${Provides}\\n"
    out = subprocess.run(["dpkg-query", "-W", "-f=" + fmt], check=True, capture_output=True,
                         text=True).stdout
    packages, provides = {}, {}
    for line in out.splitlines():
        status, name, essential, priority, depends, predepends, provided = line.split("\t")
        if not status.startswith("ii"):
            continue
        packages[name] = {"essential": essential == "yes", "priority": priority,
                          "depends": ", ".join(x for x in (depends, predepends) if x)}
        for item in provided.split(","):
            virtual = item.strip().split(" ")[0]
            if virtual:
                provides.setdefault(virtual, []).append(name)
    return packages, provides


def dependency_names(field):
    """Yields, per dependency of a Depends field, the list of its alternatives' names."""
    for group in field.split(","):
        names = []
        for alternative in group.split("|"):
            name = alternative.strip().split(" ")[0].split(":")[0]
            if name:
                names.append(name)
        if names:
            yield names


def closure(roots, packages, provides):
    """The installed packages that ROOTS pull in: each dependency resolves to the installed
    alternatives (or installed providers of a virtual name) that satisfy it."""
    seen, stack = set(), list(roots)
    while stack:
        name = stack.pop()
        candidates = [name] if name in packages else provides.get(name, [])
        for candidate in candidates:
            if candidate in seen:
                continue
            seen.add(candidate)
            for alternatives in dependency_names(packages[candidate]["depends"]):
                stack.extend(alternatives)
    return seen


def file_owners():
    """{path: package} from dpkg's file lists (the way `dpkg -S` reads them, all at once)."""
    owners = {}
    for listing in glob.glob("/var/lib/dpkg/info/*.list"):
        package = os.path.basename(listing)[:-len(".list")].split(":")[0]
        with open(listing, encoding="utf-8", errors="surrogateescape") as f:
            for line in f:
                owners.setdefault(line.rstrip("\n"), package)
    return owners


def owner_of(path, owners):
    """The package owning PATH, trying the path as written, resolved, and its merged-/usr twin."""
    candidates = [path, os.path.realpath(path)]
    for p in list(candidates):
        if p.startswith("/usr/"):
            candidates.append(p[len("/usr"):])
        else:
            candidates.append("/usr" + p)
    for p in candidates:
        if p in owners:
            return owners[p]
    return None


def depfile_paths(build_dir):
    """Every file the compiler read, from the depfiles under BUILD_DIR."""
    paths = set()
    for depfile in glob.glob(os.path.join(build_dir, "**", "*.d"), recursive=True):
        with open(depfile, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read().replace("\\\n", " ")
        # A relative path (ccache's base_dir makes them) is relative to where the compiler ran:
        # the target's directory (the parent of CMakeFiles/) with Makefiles, BUILD_DIR with Ninja.
        ran_in = depfile[: depfile.rfind("/CMakeFiles/")] if "/CMakeFiles/" in depfile else build_dir
        for line in text.splitlines():
            _, colon, deps = line.partition(": ")
            if colon:
                for dep in deps.split():
                    if not os.path.isabs(dep):
                        if os.path.exists(os.path.join(ran_in, dep)):
                            dep = os.path.join(ran_in, dep)
                        elif not os.path.exists(os.path.join(build_dir, dep)):
                            continue  # a stale depfile's source that was since moved or removed
                    paths.add(dep)
    return paths


def link_paths(build_dir):
    """Libraries named by absolute path on the link lines."""
    paths = set()
    for linkfile in glob.glob(os.path.join(build_dir, "**", "link.txt"), recursive=True):
        with open(linkfile, encoding="utf-8") as f:
            for token in f.read().split():
                if token.startswith("/") and re.search(r"\.(a|so)(\.[0-9.]+)?$", token):
                    paths.add(token)
    return paths


def ldd_paths(binaries):
    paths = set()
    for binary in binaries:
        out = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            match = re.search(r"(?:=> )?(/\S+) \(0x", line)
            if match:
                paths.add(match.group(1))
    return paths


def main(argv):
    if len(argv) < 4:
        print("usage: install_deps_guard.py SOURCE_DIR BUILD_DIR BINARY [BINARY ...]",
              file=sys.stderr)
        return 2
    source_dir, build_dir = os.path.realpath(argv[1]), os.path.realpath(argv[2])
    script = os.path.join(source_dir, "scripts", "install-deps.sh")
    env = dict(os.environ, VIGIL_TEST_DEPS="1")
    listed = subprocess.run(["bash", script, "--print"], check=True, capture_output=True,
                            text=True, env=env).stdout.split()
    packages, provides = installed_packages()
    base = [name for name, p in packages.items()
            if p["essential"] or p["priority"] == "required"]
    allowed = closure(listed + base, packages, provides)

    used = {}  # file -> what needed it
    for path in depfile_paths(build_dir):
        used.setdefault(path, "a header the build read")
    for path in link_paths(build_dir):
        used.setdefault(path, "a library a link line names")
    for path in ldd_paths(argv[3:]):
        used.setdefault(path, "a shared library the binaries load")

    owners = file_owners()
    missing = {}  # package -> first file
    unowned = []
    checked = 0
    for path, why in sorted(used.items()):
        absolute = os.path.realpath(path if os.path.isabs(path) else os.path.join(build_dir, path))
        if absolute.startswith(source_dir + "/") or absolute.startswith(build_dir + "/"):
            continue
        if absolute.startswith(os.path.realpath(os.path.join(source_dir, "..", "shared")) + "/"):
            continue
        checked += 1
        package = owner_of(path if os.path.isabs(path) else absolute, owners)
        if package is None:
            unowned.append((absolute, why))
        elif package not in allowed:
            missing.setdefault(package, (absolute, why))

    for package, (path, why) in sorted(missing.items()):
        print(f"scripts/install-deps.sh does not install {package} (needed for {path}, {why})")
    for path, why in unowned:
        print(f"no Debian package owns {path} ({why}): install it through a package in "
              f"scripts/install-deps.sh")
    if missing or unowned:
        return 1
    print(f"install guard: {checked} files the build used, all from the "
          f"{len(allowed)} packages scripts/install-deps.sh installs or pulls in")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
