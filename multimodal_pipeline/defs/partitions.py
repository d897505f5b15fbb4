import dagster as dg

#: One partition per video, added by the inbox sensor (or by hand in the UI / CLI).
videos = dg.DynamicPartitionsDefinition(name="videos")
