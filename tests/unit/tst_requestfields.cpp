#include <QJsonArray>
#include <QTest>
#include <cmath>

#include "shared/protocol/requestfields.h"
#include "tests/support/testprinters.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;

// RequestFields enforces PROTOCOL.md section 13: wrong JSON types are bad_request before any
// lookup, numeric strings are never coerced, entity ids are positive safe integers.
class TestRequestFields : public QObject
{
    Q_OBJECT

private:
    static constexpr double kTwoTo53 = 9007199254740992.0;

    // A request object with `value` under "x"; an undefined value leaves the key out.
    static RequestFields fieldsWith(const QJsonValue &value)
    {
        QJsonObject o {{u"type"_s, u"history"_s}};
        if (!value.isUndefined())
            o.insert(u"x"_s, value);
        return RequestFields(o);
    }

    // Rows shared by the integer kinds: (value, accepted as id, accepted as count).
    static void integerRows()
    {
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<bool>("validId");
        QTest::addColumn<bool>("validCount");
        QTest::addColumn<qint64>("expected");

        QTest::addRow("one") << QJsonValue(1) << true << true << qint64(1);
        QTest::addRow("typical") << QJsonValue(981) << true << true << qint64(981);
        QTest::addRow("2^53-1") << QJsonValue(kTwoTo53 - 1) << true << true << qint64(9007199254740991);
        QTest::addRow("zero") << QJsonValue(0) << false << true << qint64(0);
        QTest::addRow("negative zero") << QJsonValue(-0.0) << false << true << qint64(0);
        QTest::addRow("negative") << QJsonValue(-1) << false << false << qint64(0);
        QTest::addRow("1.5") << QJsonValue(1.5) << false << false << qint64(0);
        QTest::addRow("1e-9") << QJsonValue(1e-9) << false << false << qint64(0);
        QTest::addRow("2^53") << QJsonValue(kTwoTo53) << false << false << qint64(0);
        QTest::addRow("1e300") << QJsonValue(1e300) << false << false << qint64(0);
        QTest::addRow("-2^53") << QJsonValue(-kTwoTo53) << false << false << qint64(0);
        QTest::addRow("numeric string") << QJsonValue(u"5"_s) << false << false << qint64(0);
        QTest::addRow("numeric string with space") << QJsonValue(u" 5"_s) << false << false << qint64(0);
        QTest::addRow("empty string") << QJsonValue(u""_s) << false << false << qint64(0);
        QTest::addRow("true") << QJsonValue(true) << false << false << qint64(0);
        QTest::addRow("false") << QJsonValue(false) << false << false << qint64(0);
        QTest::addRow("array") << QJsonValue(QJsonArray {1}) << false << false << qint64(0);
        QTest::addRow("object") << QJsonValue(QJsonObject {{u"id"_s, 1}}) << false << false << qint64(0);
    }

private slots:
    void isSafeInteger_data()
    {
        QTest::addColumn<double>("value");
        QTest::addColumn<bool>("safe");
        QTest::addRow("0") << 0.0 << true;
        QTest::addRow("-1") << -1.0 << true;
        QTest::addRow("2^53-1") << kTwoTo53 - 1 << true;
        QTest::addRow("-(2^53-1)") << -(kTwoTo53 - 1) << true;
        QTest::addRow("2^53") << kTwoTo53 << false;
        QTest::addRow("1.5") << 1.5 << false;
        QTest::addRow("inf") << double(INFINITY) << false;
        QTest::addRow("nan") << double(NAN) << false;
    }

    void isSafeInteger()
    {
        QFETCH(double, value);
        QFETCH(bool, safe);
        QCOMPARE(RequestFields::isSafeInteger(value), safe);
    }

    void requiredId_data() { integerRows(); }

    void requiredId()
    {
        QFETCH(QJsonValue, value);
        QFETCH(bool, validId);
        QFETCH(qint64, expected);
        const auto r = fieldsWith(value).requiredId(u"x"_s);
        QCOMPARE(r.ok(), validId);
        if (validId) {
            QCOMPARE(r.value(), expected);
        } else {
            SB_COMPARE_CODE(r.error().code, ErrorCode::BadRequest);
            QVERIFY2(r.error().message.contains(u"'x'"_s), qPrintable(r.error().message));
        }
    }

    void optionalId_data() { integerRows(); }

    void optionalId()
    {
        QFETCH(QJsonValue, value);
        QFETCH(bool, validId);
        QFETCH(qint64, expected);
        const auto r = fieldsWith(value).optionalId(u"x"_s);
        QCOMPARE(r.ok(), validId);
        if (validId) {
            QVERIFY(r.value().has_value());
            QCOMPARE(*r.value(), expected);
        } else {
            SB_COMPARE_CODE(r.error().code, ErrorCode::BadRequest);
        }
    }

    void requiredCount_data() { integerRows(); }

    void requiredCount()
    {
        QFETCH(QJsonValue, value);
        QFETCH(bool, validCount);
        QFETCH(qint64, expected);
        const auto r = fieldsWith(value).requiredCount(u"x"_s);
        QCOMPARE(r.ok(), validCount);
        if (validCount)
            QCOMPARE(r.value(), expected);
        else
            SB_COMPARE_CODE(r.error().code, ErrorCode::BadRequest);
    }

    void optionalCount_data() { integerRows(); }

    void optionalCount()
    {
        QFETCH(QJsonValue, value);
        QFETCH(bool, validCount);
        QFETCH(qint64, expected);
        const auto r = fieldsWith(value).optionalCount(u"x"_s);
        QCOMPARE(r.ok(), validCount);
        if (validCount)
            QCOMPARE(*r.value(), expected);
        else
            SB_COMPARE_CODE(r.error().code, ErrorCode::BadRequest);
    }

    void absentOrNull_data()
    {
        QTest::addColumn<QJsonValue>("value");
        QTest::addRow("absent") << QJsonValue(QJsonValue::Undefined);
        QTest::addRow("null") << QJsonValue(QJsonValue::Null);
    }

    // Absent and null mean "not given": optional accessors return nullopt, required ones fail
    // with bad_request "is required".
    void absentOrNull()
    {
        QFETCH(QJsonValue, value);
        const RequestFields fields = fieldsWith(value);
        QVERIFY(!fields.has(u"x"_s));

        const auto optId = fields.optionalId(u"x"_s);
        QVERIFY(optId.ok());
        QVERIFY(!optId.value().has_value());
        const auto optCount = fields.optionalCount(u"x"_s);
        QVERIFY(optCount.ok());
        QVERIFY(!optCount.value().has_value());
        const auto optString = fields.optionalString(u"x"_s);
        QVERIFY(optString.ok());
        QVERIFY(!optString.value().has_value());

        for (const ProtocolError &e : {fields.requiredId(u"x"_s).error(), fields.requiredCount(u"x"_s).error(),
                 fields.requiredString(u"x"_s).error()}) {
            SB_COMPARE_CODE(e.code, ErrorCode::BadRequest);
            QVERIFY2(e.message.contains(u"required"_s), qPrintable(e.message));
        }
        QVERIFY(!fields.requiredId(u"x"_s).ok());
        QVERIFY(!fields.requiredCount(u"x"_s).ok());
        QVERIFY(!fields.requiredString(u"x"_s).ok());
    }

    void strings_data()
    {
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<bool>("valid");
        QTest::addRow("text") << QJsonValue(u"hello"_s) << true;
        QTest::addRow("empty") << QJsonValue(u""_s) << true;
        QTest::addRow("unicode") << QJsonValue(u"你好😀"_s) << true;
        QTest::addRow("number") << QJsonValue(5) << false;
        QTest::addRow("bool") << QJsonValue(true) << false;
        QTest::addRow("array") << QJsonValue(QJsonArray {u"a"_s}) << false;
        QTest::addRow("object") << QJsonValue(QJsonObject {}) << false;
    }

    void strings()
    {
        QFETCH(QJsonValue, value);
        QFETCH(bool, valid);
        const RequestFields fields = fieldsWith(value);
        const auto required = fields.requiredString(u"x"_s);
        const auto optional = fields.optionalString(u"x"_s);
        QCOMPARE(required.ok(), valid);
        QCOMPARE(optional.ok(), valid);
        if (valid) {
            QCOMPARE(required.value(), value.toString());
            QCOMPARE(*optional.value(), value.toString());
        } else {
            SB_COMPARE_CODE(required.error().code, ErrorCode::BadRequest);
            SB_COMPARE_CODE(optional.error().code, ErrorCode::BadRequest);
            QVERIFY(required.error().message.contains(u"string"_s));
        }
    }

    void objectIsKept()
    {
        const QJsonObject o {{u"type"_s, u"message"_s}, {u"to"_s, 3}};
        QCOMPARE(RequestFields(o).object(), o);
    }
};

QTEST_GUILESS_MAIN(TestRequestFields)
#include "tst_requestfields.moc"
