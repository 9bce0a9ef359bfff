#!/usr/bin/env bash
# Writes a Unity .meta file (with a new random GUID) for every file and folder Unity imports that has none.
# Existing .meta files are never changed, so GUIDs stay stable once committed.
# Unity skips hidden names (starting with '.'), names ending in '~', 'cvs' and '*.tmp'; so does this script,
# and so does the test that checks it (Tests/Runtime/Package/UnityMetaTests.cs). Unity does NOT skip bin/, obj/ or
# TestResults/, so neither does this script: dotnet builds write to .artifacts/ (Directory.Build.props), never there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

new_guid() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

importer_for() {
  case "$1" in
    package.json) echo PackageManifestImporter ;;  # the package's own manifest, at the root only
    *.cs) echo MonoImporter ;;
    *.asmdef) echo AssemblyDefinitionImporter ;;
    *.asmref) echo AssemblyDefinitionReferenceImporter ;;
    *.md|*.txt|*.json|*.xml|*.csv|*.yaml|*.yml|*.bytes|*.html) echo TextScriptImporter ;;
    *) echo DefaultImporter ;;
  esac
}

write_meta() {
  local path=$1 meta="$1.meta" guid
  [ -e "$meta" ] && return 0
  guid=$(new_guid)
  if [ -d "$path" ]; then
    printf 'fileFormatVersion: 2\nguid: %s\nfolderAsset: yes\nDefaultImporter:\n  externalObjects: {}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n' "$guid" >"$meta"
  else
    local importer; importer=$(importer_for "$path")
    if [ "$importer" = MonoImporter ]; then
      printf 'fileFormatVersion: 2\nguid: %s\nMonoImporter:\n  externalObjects: {}\n  serializedVersion: 2\n  defaultReferences: []\n  executionOrder: 0\n  icon: {instanceID: 0}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n' "$guid" >"$meta"
    else
      printf 'fileFormatVersion: 2\nguid: %s\n%s:\n  externalObjects: {}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n' "$guid" "$importer" >"$meta"
    fi
  fi
  echo "wrote $meta"
}

# Walk what Unity imports: prune hidden names, '~' folders and cvs.
find . -mindepth 1 \
  \( -name '.*' -o -name '*~' -o -iname cvs \) -prune -o \
  ! -name '*.meta' ! -name '*.tmp' -print | sed 's#^\./##' | sort | while read -r path; do
  write_meta "$path"
done

# Remove .meta files whose asset is gone.
find . \( -name '.*' -o -name '*~' \) -prune -o -name '*.meta' -print | while read -r meta; do
  [ -e "${meta%.meta}" ] || { rm -- "$meta"; echo "removed orphan $meta"; }
done
