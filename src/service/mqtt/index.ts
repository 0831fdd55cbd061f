// The MQTT bridge of framering serve (README: MQTT). startMqttBridge(view, { url } | { config }) from code.
export { startMqttBridge, MqttBridge, type MqttBridgeOptions } from './mqtt_bridge.js';
export { mqttConfigSchema, mqttConfigFor, type MqttConfig, type MqttRoute } from './mqtt_config.js';
export { MqttError, type MqttErrorCode } from './mqtt_error.js';
export { MqttTopics, topicWord, labelLevel } from './topics.js';
