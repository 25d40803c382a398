# Included before `configfile:`, so it runs before Snakemake reads the study's config: a config
# file is data only. Snakemake reads YAML with YTE, which runs `?` values as Python when the file
# sets `__use_yte__: true`, and its YAML loader builds Python objects from `!!python/...` tags;
# either is refused here with the file and line, before anything in the file is evaluated.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "src"))
from servqual.study_files import StudyFileError, check_study_yaml


def checked_config(default):
    """The workflow's config file, once it and every --configfile of the command line are
    checked (see servqual.study_files.check_study_yaml); a fault ends the run naming the file
    and line."""
    files = [default] if Path(default).is_file() else []
    files += [str(path) for path in workflow.config_settings.configfiles]
    faults = []
    for path in dict.fromkeys(files):
        try:
            check_study_yaml(path)
        except StudyFileError as err:
            faults.append(str(err))
    if faults:
        sys.exit("\n".join(faults))
    return default
