#include <QTest>

#include "shared/protocol/textrules.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;

// "Characters" are Unicode code points (PROTOCOL.md section 13); usernames and room names have
// fixed alphabets and lengths (sections 3 and 7).
class TestTextRules : public QObject
{
    Q_OBJECT

private slots:
    void codePointCount_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qsizetype>("codePoints");

        const QString emoji = u"😀"_s; // U+1F600, a surrogate pair in UTF-16
        QTest::addRow("empty") << QString() << qsizetype(0);
        QTest::addRow("ascii") << u"hello"_s << qsizetype(5);
        QTest::addRow("latin-1") << u"héllo"_s << qsizetype(5);
        QTest::addRow("combining mark counts separately") << u"e\u0301"_s << qsizetype(2);
        QTest::addRow("5000 CJK") << QString(5000, QChar(0x4E2D)) << qsizetype(5000);
        QTest::addRow("one emoji") << emoji << qsizetype(1);
        QTest::addRow("5000 emoji") << emoji.repeated(5000) << qsizetype(5000);
        QTest::addRow("5001 emoji") << emoji.repeated(5001) << qsizetype(5001);
        QTest::addRow("mixed") << (u"a"_s + emoji + u"中"_s + emoji) << qsizetype(4);
        QTest::addRow("flag (two code points)") << u"🇩🇪"_s << qsizetype(2);
        QTest::addRow("lone high surrogate") << QString(QChar(0xD83D)) << qsizetype(1);
        QTest::addRow("lone low surrogate") << QString(QChar(0xDE00)) << qsizetype(1);
        QTest::addRow("reversed pair") << (QString(QChar(0xDE00)) + QChar(0xD83D)) << qsizetype(2);
        QTest::addRow("high surrogate at end") << (u"ab"_s + QChar(0xD83D)) << qsizetype(3);
    }

    void codePointCount()
    {
        QFETCH(QString, text);
        QFETCH(qsizetype, codePoints);
        QCOMPARE(TextRules::codePointCount(text), codePoints);
    }

    void utf16SizeIsNotTheRule()
    {
        // The reason codePointCount exists: QString::size() counts UTF-16 units.
        const QString text = u"😀"_s.repeated(5000);
        QCOMPARE(text.size(), 10000);
        QCOMPARE(TextRules::codePointCount(text), 5000);
    }

    void invisibleFormatting_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("invisible");
        QTest::newRow("plain") << u"Alice Smith"_s << false;
        QTest::newRow("cjk and emoji") << u"\u4e2d\u6587 \U0001F600"_s << false;
        QTest::newRow("arabic letters") << u"\u0645\u0631\u062d\u0628\u0627"_s << false;
        QTest::newRow("right-to-left override") << u"admin\u202Etxt.exe"_s << true;
        QTest::newRow("left-to-right embedding") << u"\u202Ax"_s << true;
        QTest::newRow("isolate") << u"a\u2067b\u2069"_s << true;
        QTest::newRow("right-to-left mark") << u"x\u200F"_s << true;
        QTest::newRow("arabic letter mark") << u"x\u061C"_s << true;
        QTest::newRow("zero-width space") << u"ad\u200Bmin"_s << true;
        QTest::newRow("zero-width joiner (emoji, scripts)") << u"\U0001F469\u200D\U0001F467"_s << false;
        QTest::newRow("zero-width non-joiner") << u"\u0645\u200C\u0631"_s << false;
        QTest::newRow("word joiner") << u"a\u2060b"_s << true;
        QTest::newRow("byte order mark") << u"\uFEFFBob"_s << true;
    }
    void invisibleFormatting()
    {
        QFETCH(QString, text);
        QFETCH(bool, invisible);
        QCOMPARE(TextRules::hasInvisibleFormatting(text), invisible);
    }

    void usernames_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("valid");
        QTest::addRow("3 chars") << u"ann"_s << true;
        QTest::addRow("all allowed symbols") << u"a_b.c-d9"_s << true;
        QTest::addRow("digits only") << u"123"_s << true;
        QTest::addRow("32 chars") << QString(32, u'a') << true;
        QTest::addRow("empty") << QString() << false;
        QTest::addRow("2 chars") << u"an"_s << false;
        QTest::addRow("33 chars") << QString(33, u'a') << false;
        QTest::addRow("uppercase") << u"Ann"_s << false;
        QTest::addRow("space") << u"an n"_s << false;
        QTest::addRow("at sign") << u"ann@x"_s << false;
        QTest::addRow("percent") << u"a%n"_s << false;
        QTest::addRow("umlaut") << u"jürgen"_s << false;
        QTest::addRow("cjk") << u"用户名"_s << false;
        QTest::addRow("emoji") << u"ann😀"_s << false;
        QTest::addRow("newline") << u"ann\n"_s << false;
        QTest::addRow("NUL") << (u"ann"_s + QChar(0)) << false;
    }

    void usernames()
    {
        QFETCH(QString, name);
        QFETCH(bool, valid);
        QCOMPARE(TextRules::isValidUsername(name), valid);
    }

    void passwords_data()
    {
        QTest::addColumn<QString>("password");
        QTest::addColumn<bool>("valid");
        QTest::addRow("8 ascii") << u"12345678"_s << true;
        QTest::addRow("7 ascii") << u"1234567"_s << false;
        QTest::addRow("empty") << QString() << false;
        QTest::addRow("8 emoji") << u"😀"_s.repeated(8) << true;
        // 8 UTF-16 units but only 4 code points.
        QTest::addRow("4 emoji") << u"😀"_s.repeated(4) << false;
        QTest::addRow("spaces count") << u"        "_s << true;
    }

    void passwords()
    {
        QFETCH(QString, password);
        QFETCH(bool, valid);
        QCOMPARE(TextRules::isValidPassword(password), valid);
    }

    void roomNames_data()
    {
        QTest::addColumn<QString>("room");
        QTest::addColumn<bool>("valid");
        QTest::addRow("lobby") << u"lobby"_s << true;
        QTest::addRow("one char") << u"x"_s << true;
        QTest::addRow("all allowed symbols") << u"Room_1.a:b-C"_s << true;
        QTest::addRow("64 chars") << QString(64, u'r') << true;
        QTest::addRow("empty") << QString() << false;
        QTest::addRow("65 chars") << QString(65, u'r') << false;
        QTest::addRow("space") << u"my room"_s << false;
        QTest::addRow("slash") << u"a/b"_s << false;
        QTest::addRow("hash") << u"#general"_s << false;
        QTest::addRow("accent") << u"café"_s << false;
        QTest::addRow("emoji") << u"😀"_s << false;
    }

    void roomNames()
    {
        QFETCH(QString, room);
        QFETCH(bool, valid);
        QCOMPARE(TextRules::isValidRoomName(room), valid);
    }
};

QTEST_GUILESS_MAIN(TestTextRules)
#include "tst_textrules.moc"
