"""``python -m benchmarks.imaging [--quick]``: Pillow (``uploads.imaging``) against pyvips
(``benchmarks.imaging_other``) making the demo's variants of 12-megapixel photos.

For every library and variant set, a fresh subprocess pinned to one CPU (and libvips told
``VIPS_CONCURRENCY=1``) renders every photo ``repetitions`` times and reports per photo:

* CPU time (median and range over all renders): the work per core, and what the choice goes by,
  as the wall time on a shared machine also counts other processes' turns on that CPU;
* wall time, the same way;
* the memory peak above the process's resident size after its imports and after reading the
  photos: after the first render (the warm-up, timed apart) and after all of them. On Linux
  that is ``VmHWM``, reset to the present by ``/proc/self/clear_refs``, since ``ru_maxrss`` is
  carried over exec from the parent (which made the photos with Pillow: hundreds of MB);
* the median size of a photo's variants, to show both encoders got the same pixels.

pyvips runs with the pyvips-binary wheel's libvips (API mode) and, when Debian's libvips42 is
installed, with that one (ABI mode), and once more with libvips's own ``thumbnail`` for
reference (not a candidate: it decodes the full 12 MP for the 2000 px variant).

The photos are made here, deterministically: 4000 × 3000, smooth colour gradients, blurred and
sharp shapes and sensor-like noise, JPEG quality 90 (about 5 MB), with EXIF Orientation (1 and 6
alternately, as a phone's landscape and portrait shots) and a GPS position.

No Django, no network; ``measure()`` returns the figures as a dict.
"""

import argparse
import ctypes.util
import io
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.stats import Stat, aligned  # noqa: E402

WIDTH, HEIGHT = 4000, 3000
# The demo's variants: product photos (all WebP q80, inside) and avatars (WebP q80, crop).
SETS = {
    "product": [((320, 320), "inside"), ((800, 800), "inside"), ((2000, 2000), "inside")],
    "avatar": [((128, 128), "crop"), ((512, 512), "crop")],
}
LIBRARIES = {
    # name -> (module, its render function, use the system's libvips instead of pyvips-binary's)
    "Pillow": ("uploads.imaging", "render", False),
    "pyvips": ("benchmarks.imaging_other", "render", False),
    "pyvips (Debian libvips)": ("benchmarks.imaging_other", "render", True),
    # Not a candidate as it is: libvips's thumbnail() decodes a JPEG at twice the size needed or
    # more (here: all 12 MP for the 2000 px variant), for sharper pixels. For the record.
    "pyvips thumbnail()": ("benchmarks.imaging_other", "render_thumbnail", False),
}
CANDIDATES = ("pyvips", "pyvips (Debian libvips)")
QUICK = {"photos": 2, "repetitions": 2}
FULL = {"photos": 5, "repetitions": 4}
# The rule the choice follows: pyvips only if clearly better, as Pillow is already a dependency.
FASTER_ENOUGH = 1.5
LIGHTER_ENOUGH = 2.0


def specs(set_name):
    from uploads.imaging import Spec

    return [Spec(size, fit, "webp", 80) for size, fit in SETS[set_name]]


def photo(seed, width=WIDTH, height=HEIGHT, orientation=1):
    """A photo-like JPEG: neither flat colour (which compresses to nothing and decodes fast)
    nor pure noise (which no camera makes)."""
    from PIL import Image, ImageChops, ImageDraw, ImageFilter

    rng = random.Random(seed)
    small = (width // 8, height // 8)
    channels = []
    for _ in range(3):  # a gradient per channel, each at its own angle: smooth colour fields
        gradient = Image.linear_gradient("L").rotate(rng.uniform(0, 360), resample=Image.Resampling.BILINEAR)
        low, high = sorted(rng.sample(range(20, 236), 2))
        channels.append(
            gradient.resize(small, Image.Resampling.BILINEAR).point(
                lambda v, lo=low, hi=high: lo + v * (hi - lo) // 255
            )
        )
    image = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(image)
    for _ in range(60):  # objects, out of focus once blurred and scaled up
        x, y, r = rng.randrange(small[0]), rng.randrange(small[1]), rng.randrange(5, small[0] // 6)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            draw.rectangle((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(2)).resize((width, height), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(400):  # sharp detail
        x, y = rng.randrange(width), rng.randrange(height)
        end = (x + rng.randrange(-300, 300), y + rng.randrange(-300, 300))
        draw.line((x, y, *end), fill=tuple(rng.randrange(256) for _ in range(3)), width=rng.randrange(1, 6))
    noise = Image.effect_noise((width, height), 10 + rng.random() * 8).convert("RGB")
    image = ImageChops.add(image, noise, scale=1.0, offset=-128)
    exif = Image.Exif()
    exif[0x010F] = "Benchmark"  # Make
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 12.5), 3: "E", 4: (4.0, 53.0, 30.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def make_photos(count, folder):
    paths = []
    for index in range(count):
        path = Path(folder) / f"photo-{index}.jpg"
        path.write_bytes(photo(index, orientation=6 if index % 2 else 1))
        paths.append(path)
    return paths


def _peak_mb():
    """This process's peak resident memory. Linux: VmHWM, which starts afresh at exec and which
    _reset_peak() lowers to the present; ru_maxrss would be no use here, as Linux carries it
    over exec from the parent (which made the photos with Pillow, hundreds of MB)."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except OSError:
        return (
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            / 1024
            / (1024 if sys.platform == "darwin" else 1)
        )


def _reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # resets VmHWM to the present resident size
    except OSError:
        pass


def child(library, set_name, folder, repetitions):
    """Runs in its own process: one library, one variant set, one CPU."""
    module_name, function, system_vips = LIBRARIES[library]
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    if system_vips:
        sys.modules["_libvips"] = None  # pyvips then falls back to dlopen("libvips.so.42"): Debian's
    import importlib

    module = importlib.import_module(module_name)
    render = getattr(module, function)
    wanted = specs(set_name)
    photos = [path.read_bytes() for path in sorted(Path(folder).glob("photo-*.jpg"))]
    _reset_peak()
    baseline = _peak_mb()
    started = time.perf_counter()
    first = render(photos[0], wanted)  # photo 0 is a landscape one
    warm_up = time.perf_counter() - started
    first_peak = _peak_mb() - baseline
    seconds, cpu_seconds, output_bytes = [], [], []
    for _ in range(repetitions):
        for data in photos:
            started, started_cpu = time.perf_counter(), time.process_time()
            rendered = render(data, wanted)
            seconds.append(time.perf_counter() - started)
            cpu_seconds.append(time.process_time() - started_cpu)
            output_bytes.append(sum(len(r.data) for r in rendered))
    if module_name == "uploads.imaging":
        import PIL

        version = f"Pillow {PIL.__version__}"
    else:
        version = module.library()
    return {
        "library": version,
        "cpu": cpu,
        "ms": [s * 1000 for s in seconds],
        "cpu_ms": [s * 1000 for s in cpu_seconds],
        "warm_up_ms": warm_up * 1000,
        "baseline_mb": baseline,
        "first_peak_mb": first_peak,
        "peak_mb": _peak_mb() - baseline,
        "output_kb": sorted(output_bytes)[len(output_bytes) // 2] / 1024,
        "sizes": [f"{r.width}×{r.height}" for r in first],
    }


def available(library):
    module_name, _, system_vips = LIBRARIES[library]
    if module_name == "uploads.imaging":
        return None
    try:
        import pyvips  # noqa: F401
    except (ImportError, OSError) as error:
        return f"pyvips not installed ({error}): pip install pyvips pyvips-binary"
    if system_vips and not ctypes.util.find_library("vips"):
        return "no system libvips: apt-get install libvips42"
    return None


def measure(
    photos=FULL["photos"], repetitions=FULL["repetitions"], libraries=None, sets=tuple(SETS), progress=None
):
    """The figures as a dict: per library and variant set the time per photo (ms, median and
    range), CPU time, memory peak (MB) and output size; the photos; the ratios and the choice."""
    libraries = list(libraries or LIBRARIES)
    results = {"photos": {}, "repetitions": repetitions, "libraries": {}, "skipped": {}}
    with tempfile.TemporaryDirectory(prefix="imaging-bench-") as folder:
        paths = make_photos(photos, folder)
        results["photos"] = {
            "count": photos,
            "pixels": f"{WIDTH}×{HEIGHT}",
            "mb": [round(path.stat().st_size / 2**20, 2) for path in paths],
        }
        environment = {**os.environ, "VIPS_CONCURRENCY": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
        for library in libraries:
            reason = available(library)
            if reason:
                results["skipped"][library] = reason
                continue
            figures = results["libraries"].setdefault(library, {})
            for set_name in sets:
                if progress:
                    progress(f"{library}: {set_name}")
                command = [
                    sys.executable,
                    "-m",
                    "benchmarks.imaging",
                    "--child",
                    library,
                    set_name,
                    folder,
                    str(repetitions),
                ]
                done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)
                if done.returncode:
                    raise RuntimeError(f"{library} {set_name} failed:\n{done.stderr}")
                raw = json.loads(done.stdout.strip().splitlines()[-1])
                figures["version"] = raw["library"]
                figures[set_name] = {
                    "ms": Stat.of(raw["ms"], "ms"),
                    "cpu_ms": Stat.of(raw["cpu_ms"], "ms"),
                    "warm_up_ms": raw["warm_up_ms"],
                    "first_peak_mb": raw["first_peak_mb"],
                    "peak_mb": raw["peak_mb"],
                    "baseline_mb": raw["baseline_mb"],
                    "output_kb": raw["output_kb"],
                    "sizes": raw["sizes"],
                }
    results["comparison"] = _compare(results["libraries"], sets)
    return results


def _compare(libraries, sets):
    """pyvips against Pillow per set: how many times faster, how many times less memory."""
    pillow = libraries.get("Pillow")
    comparison = {}
    for name, figures in libraries.items():
        if name == "Pillow" or not pillow:
            continue
        comparison[name] = {
            set_name: {
                "speed_up": pillow[set_name]["cpu_ms"].median / figures[set_name]["cpu_ms"].median,
                "memory_ratio": pillow[set_name]["peak_mb"] / max(figures[set_name]["peak_mb"], 0.1),
            }
            for set_name in sets
        }
    clearly_better = [
        name
        for name, by_set in comparison.items()
        if name in CANDIDATES
        and (
            all(r["speed_up"] >= FASTER_ENOUGH for r in by_set.values())
            or all(r["memory_ratio"] >= LIGHTER_ENOUGH for r in by_set.values())
        )
    ]
    comparison["choice"] = "pyvips" if clearly_better else "Pillow"
    comparison["rule"] = (
        f"pyvips only if ≥{FASTER_ENOUGH}× faster or ≥{LIGHTER_ENOUGH}× less memory on every set; else Pillow (already a dependency)"
    )
    return comparison


def table(results):
    rows = [
        (
            "library",
            "variants (of a landscape photo)",
            "CPU time per photo",
            "wall time",
            "peak memory: 1st render / all",
            "output",
        )
    ]
    for name, figures in results["libraries"].items():
        for set_name in SETS:
            if set_name not in figures:
                continue
            f = figures[set_name]
            rows.append(
                (
                    f"{name} [{figures['version']}]",
                    f"{set_name} ({', '.join(f['sizes'])})",
                    str(f["cpu_ms"]),
                    str(f["ms"]),
                    f"{f['first_peak_mb']:.1f} / {f['peak_mb']:.1f} MB",
                    f"{f['output_kb']:.0f} KB",
                )
            )
    lines = aligned(rows)
    for name, reason in results["skipped"].items():
        lines.append(f"{name}: not measured, {reason}")
    for name, by_set in results["comparison"].items():
        if isinstance(by_set, dict):
            text = "; ".join(
                f"{s}: {r['speed_up']:.2f}× Pillow's speed, {1 / r['memory_ratio']:.2f}× Pillow's memory"
                for s, r in by_set.items()
            )
            lines.append(f"{name}: {text}")
    lines.append(f"choice: {results['comparison']['choice']} ({results['comparison']['rule']})")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.imaging", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK['photos']} photos × {QUICK['repetitions']} repetitions (about 20 s)",
    )
    parser.add_argument("--photos", type=int, help="how many different photos")
    parser.add_argument("--repetitions", type=int, help="renders of each photo")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--child", nargs=4, metavar=("LIBRARY", "SET", "FOLDER", "REPETITIONS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        library, set_name, folder, repetitions = args.child
        print(json.dumps(child(library, set_name, folder, int(repetitions))))
        return
    plan = dict(QUICK if args.quick else FULL)
    plan["photos"] = args.photos or plan["photos"]
    plan["repetitions"] = args.repetitions or plan["repetitions"]
    started = time.monotonic()
    print(
        f"{plan['photos']} photos of {WIDTH}×{HEIGHT} × {plan['repetitions']} repetitions; {os.cpu_count()} cores, {platform.processor() or platform.machine()}, Python {platform.python_version()}",
        flush=True,
    )

    def progress(label):
        print(f"[{time.monotonic() - started:5.1f} s] {label}", flush=True)

    results = measure(**plan, progress=progress)
    print(f"photos: {', '.join(f'{mb} MB' for mb in results['photos']['mb'])}")
    print(table(results))
    print(f"[{time.monotonic() - started:5.1f} s] done")
    if args.json:
        args.json.write_text(json.dumps(results, default=lambda o: o.__dict__, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
