"""Debian's python3-confluent-kafka (librdkafka), unchanged, with only its bootstrap pointed at
samsa's listener. The test runs it as a child process and checks the JSON report it prints.

Usage: confluent_kafka_scenario.py scenario BOOTSTRAP TOPIC GROUP  (TOPIC-scratch is made and deleted)
       confluent_kafka_scenario.py read BOOTSTRAP TOPIC COUNT     (reads COUNT records from the start)
"""

import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

RECORDS = 30
LATER_RECORDS = 6
KEYS = 6
PARTITIONS = 3
DEADLINE_S = 40
# Record i is stamped BASE_TIMESTAMP + i seconds, so a time names a record.
BASE_TIMESTAMP = int(time.time() * 1000) - 3_600_000


def seen(message):
    return {
        "partition": message.partition(),
        "offset": message.offset(),
        "key": message.key().decode(),
        "value": message.value().decode(),
        "timestamp": message.timestamp()[1],
        "headers": {name: value.decode() for name, value in (message.headers() or [])},
    }


def produce(producer, topic, indexes):
    produced = []

    def sent(index, key, value, headers, timestamp):
        def delivered(error, message):
            if error is not None:
                raise KafkaException(error)
            produced.append(
                {
                    "partition": message.partition(),
                    "offset": message.offset(),
                    "key": key,
                    "value": value,
                    "timestamp": timestamp,
                    "headers": headers,
                }
            )

        producer.produce(
            topic,
            key=key,
            value=value,
            headers=[(name, text.encode()) for name, text in headers.items()],
            timestamp=timestamp,
            on_delivery=delivered,
        )

    for index in indexes:
        sent(
            index,
            f"key-{index % KEYS}",
            # librdkafka sends a batch uncompressed when gzip would not make it smaller.
            f"value-{index}-" + "padding" * 20,
            {"index": str(index), "client": "confluent-kafka"},
            BASE_TIMESTAMP + index * 1000,
        )
    if producer.flush(DEADLINE_S) != 0:
        raise RuntimeError("records left unsent")
    # Delivery order within a partition is produce order; across partitions it may vary.
    return sorted(produced, key=lambda record: int(record["headers"]["index"]))


def consumer(bootstrap, group, member):
    return Consumer(
        {
            "bootstrap.servers": bootstrap,
            "client.id": f"confluent-kafka-{member}",
            "group.id": group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 10_000,
            "heartbeat.interval.ms": 500,
            "fetch.wait.max.ms": 200,
        }
    )


def poll_until(consumers, into, enough):
    """Polls each consumer in turn, committing every record read, until `enough()`."""
    deadline = time.monotonic() + DEADLINE_S
    while not enough():
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {sum(len(got) for got in into)} records read")
        for member, reading in enumerate(consumers):
            message = reading.poll(0.1)
            if message is None:
                continue
            if message.error() is not None:
                raise KafkaException(message.error())
            into[member].append(seen(message))
            reading.commit(message=message, asynchronous=False)


def scenario(bootstrap, topic, group):
    scratch = f"{topic}-scratch"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    created = admin.create_topics(
        [NewTopic(name, num_partitions=PARTITIONS, replication_factor=2) for name in (topic, scratch)]
    )
    for future in created.values():
        future.result(DEADLINE_S)
    metadata = admin.list_topics(timeout=DEADLINE_S)
    report = {
        "brokers": [
            {"id": broker.id, "host": broker.host, "port": broker.port}
            for broker in metadata.brokers.values()
        ]
    }
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "compression.type": "gzip",
            "linger.ms": 5,
        }
    )
    report["produced"] = produce(producer, topic, range(RECORDS))

    members = [consumer(bootstrap, group, "a"), consumer(bootstrap, group, "b")]
    for member in members:
        member.subscribe([topic])
    report["members"] = [[], []]
    poll_until(members, report["members"], lambda: sum(map(len, report["members"])) >= RECORDS)
    report["assignments"] = [
        sorted(partition.partition for partition in member.assignment()) for member in members
    ]
    for member in members:
        member.close()

    report["later"] = produce(producer, topic, range(RECORDS, RECORDS + LATER_RECORDS))
    restarted = consumer(bootstrap, group, "a-again")
    restarted.subscribe([topic])
    resumed = [[]]
    poll_until([restarted], resumed, lambda: len(resumed[0]) >= LATER_RECORDS)
    report["resumed"] = resumed[0]

    target = BASE_TIMESTAMP + (RECORDS // 2) * 1000
    by_time = restarted.offsets_for_times(
        [TopicPartition(topic, partition, target) for partition in range(PARTITIONS)],
        timeout=DEADLINE_S,
    )
    report["offsetsForTime"] = {
        "timestamp": target,
        "offsets": [found.offset for found in sorted(by_time, key=lambda tp: tp.partition)],
    }
    restarted.close()

    for future in admin.delete_topics([scratch]).values():
        future.result(DEADLINE_S)
    report["topicsAfterDelete"] = sorted(admin.list_topics(timeout=DEADLINE_S).topics)
    return report


def read(bootstrap, topic, count):
    reading = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"{topic}-reader",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    reading.subscribe([topic])
    got = [[]]
    poll_until([reading], got, lambda: len(got[0]) >= count)
    reading.close()
    return got[0]


if __name__ == "__main__":
    command, bootstrap, topic, last = sys.argv[1:5]
    if command == "scenario":
        result = scenario(bootstrap, topic, last)
    else:
        result = read(bootstrap, topic, int(last))
    print(json.dumps(result))
