"""Apache Airflow provider for Shale: ShaleHook, ShaleOperator, ShaleJobTrigger, ShaleJobSensor."""

__version__ = "0.1.0"
