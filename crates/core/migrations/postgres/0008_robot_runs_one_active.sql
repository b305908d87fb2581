-- At most one run of a robot is queued or running: the database refuses a second one, so
-- two "run now" requests at the same moment, on one hub or on two, cannot both queue a run.
-- A queued run beside another active run of its robot (possible before this step) is
-- failed first: the running run, or the oldest queued one, stays.
UPDATE robot_runs SET status = 'failed',
    finished_at = CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT),
    error = 'another run of the robot was already queued or running'
WHERE status = 'queued' AND EXISTS (
    SELECT 1 FROM robot_runs other
    WHERE other.robot = robot_runs.robot AND other.id <> robot_runs.id
      AND (other.status = 'running' OR (other.status = 'queued' AND other.id < robot_runs.id)));
DROP INDEX robot_runs_one_running;
CREATE UNIQUE INDEX robot_runs_one_active ON robot_runs (robot) WHERE status IN ('queued', 'running');
