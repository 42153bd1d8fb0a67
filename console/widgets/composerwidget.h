#pragma once

#include <QElapsedTimer>
#include <QPlainTextEdit>

namespace Switchboard::Console {

// The message entry: Enter sends, Shift+Enter starts a new line. While the operator types it
// reports typing activity at most once every typingInterval() (the `typing` frame is not stored,
// so once every few seconds is plenty).
class ComposerWidget final : public QPlainTextEdit
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ComposerWidget)

public:
    static constexpr int DefaultTypingIntervalMs = 3000;

    explicit ComposerWidget(QWidget *parent = nullptr);

    int typingInterval() const { return m_typingIntervalMs; }
    void setTypingInterval(int msecs) { m_typingIntervalMs = msecs; }

    // Emits sendRequested() with the text and clears the entry; nothing when it is blank.
    void submit();

    QSize sizeHint() const override;

Q_SIGNALS:
    void sendRequested(const QString &text);
    void typingActivity();

protected:
    void keyPressEvent(QKeyEvent *event) override;

private:
    void onTextChanged();

    QElapsedTimer m_lastTyping;
    int m_typingIntervalMs = DefaultTypingIntervalMs;
    bool m_clearing = false;
};

} // namespace Switchboard::Console
