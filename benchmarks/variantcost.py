"""Time and memory peak of making one 12-megapixel JPEG's variants on one core, for the library
the app renders with and the other: ``benchmarks.imaging.measure``'s figures as rows of the table."""

from benchmarks.stats import Figure, Stat

APP_MODULE = "uploads.imaging"
OTHER = "pyvips"


def measure(photos, repetitions, sets, progress=None):
    """``(figures, raw results)``; no figures (and the reason) when ``benchmarks.imaging`` cannot run."""
    from benchmarks import imaging

    ours = next(name for name, (module, *_rest) in imaging.LIBRARIES.items() if module == APP_MODULE)
    results = imaging.measure(
        photos=photos, repetitions=repetitions, libraries=[ours, OTHER], sets=sets, progress=progress
    )
    return figures(results, ours, imaging.SETS), results


def figures(results, ours, sets):
    mine = results["libraries"].get(ours)
    if not mine:
        return []
    other = results["libraries"].get(OTHER)
    choice = results["comparison"].get("choice", "")
    rows = []
    for set_name in sets:
        if set_name not in mine:
            continue
        f = mine[set_name]
        o = other[set_name] if other else None
        what = f"{set_name} variants ({', '.join(f['sizes'])})"
        reference_name = f"{OTHER} [{other['version']}]" if other else ""
        skipped = results["skipped"].get(OTHER, "")
        rows.append(
            Figure(
                f"variant time per 12 MP JPEG, 1 core, {ours}: {what}",
                f["ms"],
                o["ms"] if o else None,
                reference_name,
                note=f"{results['photos']['pixels']} JPEGs; ours: {ours} [{mine['version']}], {1000 / f['ms'].median:.2f} photos/s per core; the rule picks {choice}"
                + (f"; {OTHER}: {skipped}" if skipped else ""),
            )
        )
        rows.append(
            Figure(
                f"variant memory peak per 12 MP JPEG, {ours}: {set_name} variants",
                Stat.once(f["peak_mb"], "MB"),
                Stat.once(o["peak_mb"], "MB") if o else None,
                reference_name,
                note="resident peak above the process's after reading the photos",
            )
        )
    return rows
