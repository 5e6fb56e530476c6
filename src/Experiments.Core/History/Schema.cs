namespace Experiments.History;

/// <summary>
/// The store's schema as an ordered list of migrations: migration <c>i</c> takes a store from version <c>i</c> to
/// <c>i + 1</c> (<c>PRAGMA user_version</c>). Append, never edit: a store in the wild may be at any version.
/// </summary>
internal static class Schema
{
    public static IReadOnlyList<string> Migrations { get; } =
    [
        // 1: runs and one row per experiment result.
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            command_line TEXT NOT NULL,
            git_commit TEXT,
            git_dirty INTEGER,
            machine TEXT NOT NULL,
            operating_system TEXT NOT NULL,
            dotnet_version TEXT NOT NULL,
            torchsharp_version TEXT,
            status TEXT NOT NULL
        );
        CREATE TABLE results (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            recorded_at TEXT NOT NULL,
            experiment TEXT NOT NULL,
            dataset TEXT NOT NULL,
            source_file TEXT,
            source_sha256 TEXT,
            status TEXT NOT NULL,
            hyperparameters TEXT NOT NULL,
            seed INTEGER,
            test_accuracy REAL,
            test_loss REAL,
            validation_accuracy REAL,
            validation_loss REAL,
            train_seconds REAL NOT NULL,
            evaluation_seconds REAL NOT NULL,
            epochs TEXT NOT NULL,
            test TEXT,
            validation TEXT,
            error TEXT
        );
        """,

        // 2: the learned weights (for the weight-template pictures) and an index for history and compare.
        """
        ALTER TABLE results ADD COLUMN weights BLOB;
        ALTER TABLE results ADD COLUMN weights_rows INTEGER;
        ALTER TABLE results ADD COLUMN weights_columns INTEGER;
        CREATE INDEX results_by_experiment ON results(experiment, run_id);
        CREATE INDEX results_by_run ON results(run_id);
        """,

        // 3: what identifies the runner's process (to tell a killed run from one still going), how many results the
        // run planned, and the rest of a result that latest.json has.
        """
        ALTER TABLE runs ADD COLUMN host TEXT;
        ALTER TABLE runs ADD COLUMN pid INTEGER;
        ALTER TABLE runs ADD COLUMN process_start TEXT;
        ALTER TABLE runs ADD COLUMN planned_results INTEGER;
        ALTER TABLE results ADD COLUMN preprocess_seconds REAL;
        ALTER TABLE results ADD COLUMN best_epoch INTEGER;
        ALTER TABLE results ADD COLUMN stopped_early INTEGER;
        ALTER TABLE results ADD COLUMN divergence_reason TEXT;
        """,

        // 4: the model (its summary as JSON, its full state in result_state, one row per parameter or buffer), the
        // run cache's three keys, and where a cached result came from. state_result names the result whose
        // result_state rows hold the state (the row itself, or for a cached result the one it was trained as), and
        // state_entries how many rows that is, so a missing row is seen.
        """
        ALTER TABLE results ADD COLUMN model TEXT;
        ALTER TABLE results ADD COLUMN state_result INTEGER;
        ALTER TABLE results ADD COLUMN state_entries INTEGER;
        ALTER TABLE results ADD COLUMN configuration_key TEXT;
        ALTER TABLE results ADD COLUMN code_key TEXT;
        ALTER TABLE results ADD COLUMN dataset_key TEXT;
        ALTER TABLE results ADD COLUMN cached_from_run INTEGER;
        CREATE TABLE result_state (
            result_id INTEGER NOT NULL REFERENCES results(id),
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            shape TEXT NOT NULL,
            is_parameter INTEGER NOT NULL,
            value_count INTEGER NOT NULL,
            value_data BLOB NOT NULL,
            PRIMARY KEY (result_id, position)
        );
        CREATE INDEX results_by_cache_key ON results(configuration_key, code_key, dataset_key);
        """,

        // 5: the dataset's class names (a JSON array of strings, in class-index order; [] when not known). Rows
        // written before have NULL, which reads as "0".."n-1" for the n classes of their confusion matrix
        // (StoreRows.ReadResult): the names those rows were shown with.
        """
        ALTER TABLE results ADD COLUMN class_names TEXT;
        """,

        // 6: where a completed result's checkpoint is (model.safetensors and config.json): its folder, relative to the
        // store's folder when inside it, and each file's SHA-256 and length, as JSON ({"directory", "files"}); a write
        // that failed is {"error"}. NULL: no checkpoint (rows written before, results that did not complete). A cached
        // result's row repeats the checkpoint of the result it reuses.
        """
        ALTER TABLE results ADD COLUMN checkpoint TEXT;
        """,

        // 7: the last finished epoch of the interrupted training a result went on from (run --resume); NULL for one
        // trained from the first epoch.
        """
        ALTER TABLE results ADD COLUMN resumed_from_epoch INTEGER;
        """,

        // 8: runs shared out among workers (docs/scale-out.md). run_key: the id a submission or a --parallel coordinator
        // gives the run, so every worker finds the same one; result_key ("<run id>/<experiment>") makes recording a
        // result idempotent; tasks: one per experiment of a queued run, claimed with a lease; workers: who claims.
        """
        ALTER TABLE runs ADD COLUMN run_key TEXT;
        ALTER TABLE runs ADD COLUMN scheduler TEXT;
        ALTER TABLE runs ADD COLUMN job_id TEXT;
        ALTER TABLE runs ADD COLUMN lease_seconds INTEGER;
        CREATE UNIQUE INDEX runs_by_key ON runs(run_key);
        ALTER TABLE results ADD COLUMN result_key TEXT;
        ALTER TABLE results ADD COLUMN worker_id INTEGER;
        CREATE UNIQUE INDEX results_by_key ON results(result_key);
        CREATE TABLE workers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            name TEXT NOT NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            process_start TEXT,
            started_at TEXT NOT NULL,
            heartbeat_at TEXT NOT NULL,
            ended_at TEXT,
            status TEXT NOT NULL,
            UNIQUE (run_id, name)
        );
        CREATE TABLE tasks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            position INTEGER NOT NULL,
            experiment TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            worker_id INTEGER REFERENCES workers(id),
            claimed_at TEXT,
            lease_expires_at TEXT,
            finished_at TEXT,
            result_id INTEGER REFERENCES results(id),
            error TEXT,
            UNIQUE (run_id, experiment)
        );
        CREATE INDEX tasks_by_run ON tasks(run_id, status, position);
        """,
    ];

    /// <summary>
    /// PostgreSQL's migrations (its <c>schema_version</c> table): the first creates the whole schema at version 8 with
    /// PostgreSQL's types; each later one takes it one version further, in step with <see cref="Migrations"/>.
    /// </summary>
    public static IReadOnlyList<(int Version, string Sql)> PostgresMigrations { get; } =
    [
        (8, """
        CREATE TABLE runs (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            command_line TEXT NOT NULL,
            git_commit TEXT,
            git_dirty BIGINT,
            machine TEXT NOT NULL,
            operating_system TEXT NOT NULL,
            dotnet_version TEXT NOT NULL,
            torchsharp_version TEXT,
            status TEXT NOT NULL,
            host TEXT,
            pid BIGINT,
            process_start TEXT,
            planned_results BIGINT,
            run_key TEXT UNIQUE,
            scheduler TEXT,
            job_id TEXT,
            lease_seconds BIGINT
        );
        CREATE TABLE workers (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            run_id BIGINT NOT NULL REFERENCES runs(id),
            name TEXT NOT NULL,
            host TEXT NOT NULL,
            pid BIGINT NOT NULL,
            process_start TEXT,
            started_at TEXT NOT NULL,
            heartbeat_at TEXT NOT NULL,
            ended_at TEXT,
            status TEXT NOT NULL,
            UNIQUE (run_id, name)
        );
        CREATE TABLE results (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            run_id BIGINT NOT NULL REFERENCES runs(id),
            recorded_at TEXT NOT NULL,
            experiment TEXT NOT NULL,
            dataset TEXT NOT NULL,
            source_file TEXT,
            source_sha256 TEXT,
            status TEXT NOT NULL,
            hyperparameters TEXT NOT NULL,
            seed BIGINT,
            test_accuracy DOUBLE PRECISION,
            test_loss DOUBLE PRECISION,
            validation_accuracy DOUBLE PRECISION,
            validation_loss DOUBLE PRECISION,
            train_seconds DOUBLE PRECISION,
            evaluation_seconds DOUBLE PRECISION,
            epochs TEXT NOT NULL,
            test TEXT,
            validation TEXT,
            error TEXT,
            weights BYTEA,
            weights_rows BIGINT,
            weights_columns BIGINT,
            preprocess_seconds DOUBLE PRECISION,
            best_epoch BIGINT,
            stopped_early BIGINT,
            divergence_reason TEXT,
            model TEXT,
            state_result BIGINT,
            state_entries BIGINT,
            configuration_key TEXT,
            code_key TEXT,
            dataset_key TEXT,
            cached_from_run BIGINT,
            class_names TEXT,
            checkpoint TEXT,
            resumed_from_epoch BIGINT,
            result_key TEXT UNIQUE,
            worker_id BIGINT REFERENCES workers(id)
        );
        CREATE INDEX results_by_experiment ON results(experiment, run_id);
        CREATE INDEX results_by_run ON results(run_id);
        CREATE INDEX results_by_cache_key ON results(configuration_key, code_key, dataset_key);
        CREATE TABLE result_state (
            result_id BIGINT NOT NULL REFERENCES results(id),
            position BIGINT NOT NULL,
            name TEXT NOT NULL,
            shape TEXT NOT NULL,
            is_parameter BIGINT NOT NULL,
            value_count BIGINT NOT NULL,
            value_data BYTEA NOT NULL,
            PRIMARY KEY (result_id, position)
        );
        CREATE TABLE tasks (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            run_id BIGINT NOT NULL REFERENCES runs(id),
            position BIGINT NOT NULL,
            experiment TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts BIGINT NOT NULL DEFAULT 0,
            worker_id BIGINT REFERENCES workers(id),
            claimed_at TEXT,
            lease_expires_at TEXT,
            finished_at TEXT,
            result_id BIGINT REFERENCES results(id),
            error TEXT,
            UNIQUE (run_id, experiment)
        );
        CREATE INDEX tasks_by_run ON tasks(run_id, status, position);
        """),
    ];

    /// <summary>The version this build writes and understands.</summary>
    public static int Current => Migrations.Count;
}
