#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include "tests/layering/layerrules.h"

using namespace Qt::StringLiterals;
using Switchboard::Tests::LayerRules;

// The include rules between folders (docs/architecture.md). The per-layer CMake targets catch an
// include of a higher layer only when it needs a symbol at link time; this test reads the
// includes themselves, so a header-only dependency or one through the root include directory
// fails too.
class TstLayering : public QObject
{
    Q_OBJECT

private slots:
    void repositoryFollowsTheRules()
    {
        const auto violations = LayerRules::project().check(QStringLiteral(SB_SOURCE_DIR));
        for (const auto &v : violations)
            qWarning().noquote() << u"%1:%2: includes \"%3\": %4"_s.arg(v.file).arg(v.line).arg(v.include, v.reason);
        QCOMPARE(violations.size(), 0);
    }

    void everyFolderWithCodeHasALayer()
    {
        // A new folder must be given its place in the rules, or the checker would skip its files.
        const auto rules = LayerRules::project();
        const QDir root(QStringLiteral(SB_SOURCE_DIR));
        for (const QString &component : {u"server"_s, u"shared"_s, u"console"_s, u"bench"_s}) {
            const QDir dir(root.filePath(component));
            QVERIFY2(dir.exists(), qPrintable(component));
            for (const QString &sub : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
                const QString folder = component + u'/' + sub;
                QVERIFY2(rules.layerFolderOf(folder + u"/probe.cpp"_s) == folder,
                    qPrintable(folder + u": no layer rule for this folder"_s));
            }
        }
    }

    void forbiddenIncludesAreReported_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("include");
        QTest::addColumn<QString>("reason");
        QTest::newRow("storage includes services")
            << u"server/storage/sqlstorage.cpp"_s << u"server/services/chatservice.h"_s << u"above"_s;
        QTest::newRow("services include ws")
            << u"server/services/chatservice.cpp"_s << u"server/ws/requestrouter.h"_s << u"above"_s;
        QTest::newRow("http includes ws (siblings)")
            << u"server/http/restapi.cpp"_s << u"server/ws/requestrouter.h"_s << u"siblings"_s;
        QTest::newRow("sessions include security (siblings)")
            << u"server/sessions/session.cpp"_s << u"server/security/tokensigner.h"_s << u"siblings"_s;
        QTest::newRow("services include app")
            << u"server/services/authservice.cpp"_s << u"server/app/serverapplication.h"_s << u"above"_s;
        QTest::newRow("shared includes server")
            << u"shared/client/clientconnection.cpp"_s << u"server/sessions/session.h"_s << u"may not depend"_s;
        QTest::newRow("console includes server")
            << u"console/app/workspacecontroller.cpp"_s << u"server/services/chatservice.h"_s << u"may not depend"_s;
        QTest::newRow("console app includes widgets")
            << u"console/app/workspacecontroller.cpp"_s << u"console/widgets/mainwindow.h"_s << u"above"_s;
        QTest::newRow("console models include app")
            << u"console/models/messagelistmodel.cpp"_s << u"console/app/userdirectory.h"_s << u"above"_s;
        QTest::newRow("widgets include the composition root")
            << u"console/widgets/mainwindow.cpp"_s << u"console/consoleapplication.h"_s << u"above"_s;
        QTest::newRow("relative include")
            << u"server/services/chatservice.cpp"_s << u"roomservice.h"_s << u"repository root"_s;
        QTest::newRow("protocol includes client")
            << u"shared/protocol/jsoncodec.cpp"_s << u"shared/client/restclient.h"_s << u"above"_s;
    }

    void forbiddenIncludesAreReported()
    {
        QFETCH(QString, file);
        QFETCH(QString, include);
        QFETCH(QString, reason);
        const QString text = u"#include <QString>\n\n#include \""_s + include + u"\"\n"_s;
        const auto v = LayerRules::project().checkFile(file, text);
        QCOMPARE(v.size(), 1);
        QCOMPARE(v.first().line, 3);
        QCOMPARE(v.first().include, include);
        QVERIFY2(v.first().reason.contains(reason), qPrintable(v.first().reason));
    }

    void allowedIncludesPass_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("include");
        QTest::newRow("app includes http") << u"server/app/serverapplication.cpp"_s << u"server/http/restapi.h"_s;
        QTest::newRow("ws includes services") << u"server/ws/requestrouter.cpp"_s << u"server/services/chatservice.h"_s;
        QTest::newRow("services include storage")
            << u"server/services/chatservice.cpp"_s << u"server/storage/storage.h"_s;
        QTest::newRow("services include sessions")
            << u"server/services/chatservice.cpp"_s << u"server/sessions/session.h"_s;
        QTest::newRow("server includes shared") << u"server/storage/sqlstorage.cpp"_s << u"shared/protocol/result.h"_s;
        QTest::newRow("same folder") << u"server/storage/sqlstorage.cpp"_s << u"server/storage/storage.h"_s;
        QTest::newRow("console root includes widgets") << u"console/main.cpp"_s << u"console/widgets/mainwindow.h"_s;
        QTest::newRow("client includes protocol") << u"shared/client/restclient.cpp"_s << u"shared/protocol/result.h"_s;
    }

    void allowedIncludesPass()
    {
        QFETCH(QString, file);
        QFETCH(QString, include);
        QVERIFY(LayerRules::project().checkFile(file, u"#include \""_s + include + u"\"\n"_s).isEmpty());
    }

    void checkFindsAViolationInATree()
    {
        // The whole-tree walk, not only checkFile(): a forbidden include written into a file of a
        // scratch tree is found with its line number.
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QDir root(dir.path());
        QVERIFY(root.mkpath(u"server/storage"_s));
        QFile f(root.filePath(u"server/storage/bad.cpp"_s));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("#include \"server/storage/storage.h\"\n#include \"server/sessions/session.h\"\n");
        f.close();
        const auto v = LayerRules::project().check(dir.path());
        QCOMPARE(v.size(), 1);
        QCOMPARE(v.first().file, u"server/storage/bad.cpp"_s);
        QCOMPARE(v.first().line, 2);
    }
};

QTEST_GUILESS_MAIN(TstLayering)
#include "tst_layering.moc"
