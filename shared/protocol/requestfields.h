#pragma once

#include <QJsonObject>
#include <QString>
#include <optional>

#include "shared/protocol/result.h"

namespace Switchboard {

// Typed, strict access to the fields of one request object (PROTOCOL.md section 13: a field of
// the wrong JSON type is bad_request before any lookup; numeric strings are never coerced; entity
// ids must be positive safe integers). Used by the server for WebSocket frames and HTTP bodies.
class RequestFields
{
public:
    explicit RequestFields(const QJsonObject &object) : m_object(object) { }

    const QJsonObject &object() const { return m_object; }
    bool has(const QString &key) const;

    // Entity id: absent -> nullopt; present but not a positive safe integer -> bad_request.
    Result<std::optional<qint64>> optionalId(const QString &key) const;
    Result<qint64> requiredId(const QString &key) const;
    // Non-negative integer (seq values, limits).
    Result<std::optional<qint64>> optionalCount(const QString &key) const;
    Result<qint64> requiredCount(const QString &key) const;
    Result<std::optional<QString>> optionalString(const QString &key) const;
    Result<QString> requiredString(const QString &key) const;

    static bool isSafeInteger(double value);

private:
    QJsonObject m_object;
};

} // namespace Switchboard
